# Upgrade guard, sent in front of install.sh: Kubernetes upgrades go one minor version at a time
# (servers before agents: Strata orders the agents' commands after the servers'). A downgrade or
# a skipped minor stops here, before anything is touched.
require STRATA_VERSION
installed="$(cat "${PREFIX}/usr/local/share/strata/rke2-version" 2>/dev/null || true)"
if [ -n "$installed" ] && [ "$installed" != "$STRATA_VERSION" ]; then
  from="$(minor_of "$installed")"
  to="$(minor_of "$STRATA_VERSION")"
  if [ "$to" -lt "$from" ]; then
    log "refusing to downgrade from $installed to $STRATA_VERSION"
    exit 1
  fi
  if [ "$to" -gt $((from + 1)) ]; then
    log "refusing to skip minor versions: $installed -> $STRATA_VERSION (upgrade one minor at a time)"
    exit 1
  fi
  log "upgrading $installed -> $STRATA_VERSION"
fi
