# Install or join an RKE2 node (server or agent), hardened with the CIS profile.
# The first server initialises the cluster (embedded etcd); other servers and all agents join it
# through STRATA_SERVER_URL. Re-running it with the same settings changes nothing.
#
# STRATA_ROLE server|agent      STRATA_VERSION v1.35.7+rke2r1     STRATA_TOKEN (secret)
# STRATA_NODE_NAME              STRATA_ARTIFACTS_URL              STRATA_SERVER_URL (empty: first server)
# STRATA_NODE_LABELS k=v,...    STRATA_NODE_TAINTS k=v:Effect,... STRATA_TLS_SAN (servers)
# STRATA_REGISTRY host:port (air gap: every image comes from this mirror)
# STRATA_CNI canal|cilium (servers)  STRATA_INGRESS_CONTROLLER none (servers)
# STRATA_DISABLE packaged components to leave out, comma-separated (servers)
require STRATA_ROLE STRATA_VERSION STRATA_TOKEN STRATA_NODE_NAME STRATA_ARTIFACTS_URL
case "$STRATA_ROLE" in
  server | agent) ;;
  *) log "STRATA_ROLE must be server or agent, not $STRATA_ROLE"; exit 2 ;;
esac

ARTIFACTS="${PREFIX}/var/lib/strata/artifacts/${STRATA_VERSION}"
SUMS="${ARTIFACTS}/sha256sum-amd64.txt"
mkdir -p "$ARTIFACTS"
curl -fsSL --retry 3 -o "${SUMS}.part" "${STRATA_ARTIFACTS_URL}/sha256sum-amd64.txt"
write_file "$SUMS" 0644 < "${SUMS}.part"
rm -f "${SUMS}.part"
for artifact in rke2.linux-amd64.tar.gz rke2-images.linux-amd64.tar.zst; do
  want="$(checksum_of "$SUMS" "$artifact")"
  if [ -z "$want" ]; then
    log "no checksum for $artifact in ${STRATA_ARTIFACTS_URL}/sha256sum-amd64.txt"
    exit 1
  fi
  fetch "${STRATA_ARTIFACTS_URL}/${artifact}" "${ARTIFACTS}/${artifact}" "$want"
done

MARKER="${PREFIX}/usr/local/share/strata/rke2-version"
if [ "$(cat "$MARKER" 2>/dev/null || true)" != "$STRATA_VERSION" ]; then
  mkdir -p "${PREFIX}/usr/local"
  tar -xzf "${ARTIFACTS}/rke2.linux-amd64.tar.gz" -C "${PREFIX}/usr/local"
  write_file "$MARKER" 0644 < <(printf '%s\n' "$STRATA_VERSION")
  CHANGED=1
fi

IMAGES="${PREFIX}/var/lib/rancher/rke2/agent/images/rke2-images.linux-amd64.tar.zst"
if ! cmp -s "${ARTIFACTS}/rke2-images.linux-amd64.tar.zst" "$IMAGES" 2>/dev/null; then
  mkdir -p "$(dirname "$IMAGES")"
  cp -f "${ARTIFACTS}/rke2-images.linux-amd64.tar.zst" "$IMAGES"
  CHANGED=1
fi

render_config() {
  printf 'token: "%s"\n' "$STRATA_TOKEN"
  printf 'node-name: "%s"\n' "$STRATA_NODE_NAME"
  printf 'profile: "cis"\n'
  printf 'protect-kernel-defaults: true\n'
  if [ -n "${STRATA_SERVER_URL:-}" ]; then
    printf 'server: "%s"\n' "$STRATA_SERVER_URL"
  fi
  if [ "$STRATA_ROLE" = server ]; then
    printf 'write-kubeconfig-mode: "0600"\n'
    printf 'secrets-encryption: true\n'
    printf 'node-taint:\n  - "CriticalAddonsOnly=true:NoExecute"\n'
    printf 'cni: "%s"\n' "${STRATA_CNI:-canal}"
    printf 'ingress-controller: "%s"\n' "${STRATA_INGRESS_CONTROLLER:-none}"
    if [ -n "${STRATA_DISABLE:-}" ]; then
      printf 'disable:\n'
      printf '%s\n' "$STRATA_DISABLE" | tr ',' '\n' | sed 's/^/  - "/; s/$/"/'
    fi
    if [ -n "${STRATA_TLS_SAN:-}" ]; then
      printf 'tls-san:\n'
      printf '%s\n' "$STRATA_TLS_SAN" | tr ',' '\n' | sed 's/^/  - "/; s/$/"/'
    fi
  elif [ -n "${STRATA_NODE_TAINTS:-}" ]; then
    printf 'node-taint:\n'
    printf '%s\n' "$STRATA_NODE_TAINTS" | tr ',' '\n' | sed 's/^/  - "/; s/$/"/'
  fi
  if [ -n "${STRATA_NODE_LABELS:-}" ]; then
    printf 'node-label:\n'
    printf '%s\n' "$STRATA_NODE_LABELS" | tr ',' '\n' | sed 's/^/  - "/; s/$/"/'
  fi
  if [ -n "${STRATA_REGISTRY:-}" ]; then
    printf 'system-default-registry: "%s"\n' "$STRATA_REGISTRY"
  fi
}

render_registries() {
  local upstream
  printf 'mirrors:\n'
  for upstream in docker.io quay.io ghcr.io registry.k8s.io; do
    printf '  %s:\n    endpoint:\n      - "https://%s"\n' "$upstream" "$STRATA_REGISTRY"
  done
}

# Process substitution, not a pipe: write_file must run in this shell to record a change.
write_file "${PREFIX}/etc/rancher/rke2/config.yaml" 0600 < <(render_config)
if [ -n "${STRATA_REGISTRY:-}" ]; then
  write_file "${PREFIX}/etc/rancher/rke2/registries.yaml" 0600 < <(render_registries)
fi

write_file "${PREFIX}/etc/sysctl.d/60-rke2-cis.conf" 0644 < "${PREFIX}/usr/local/share/rke2/rke2-cis-sysctl.conf"
if [ "$STRATA_ROLE" = server ] && [ -z "$PREFIX" ] && ! getent passwd etcd > /dev/null; then
  useradd -r -c "etcd user" -s /sbin/nologin -M etcd -U
  CHANGED=1
fi

unit="rke2-${STRATA_ROLE}.service"
changed_before="$CHANGED"
CHANGED=0
write_file "${PREFIX}/etc/systemd/system/${unit}" 0644 < "${PREFIX}/usr/local/lib/systemd/system/${unit}"
if [ "$CHANGED" = 1 ]; then
  "$SYSTEMCTL" daemon-reload
fi
CHANGED=$((changed_before | CHANGED))
if [ -z "$PREFIX" ]; then
  sysctl --system > /dev/null
fi
"$SYSTEMCTL" enable "$unit"
if [ "$CHANGED" = 1 ]; then
  "$SYSTEMCTL" restart "$unit"
  log "rke2 ${STRATA_ROLE} ${STRATA_VERSION} (re)started on ${STRATA_NODE_NAME}"
else
  "$SYSTEMCTL" start "$unit"
  log "rke2 ${STRATA_ROLE} ${STRATA_VERSION} unchanged on ${STRATA_NODE_NAME}"
fi
