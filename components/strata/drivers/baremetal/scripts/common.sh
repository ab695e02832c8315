#!/usr/bin/env bash
# Shared helpers for Strata's bare-metal scripts. Every script is sent as: common.sh + the script.
# Idempotent by construction: files are replaced only when their content differs, artifacts are
# fetched only when their checksum differs, services are restarted only when something changed.
#
# STRATA_PREFIX  a scratch root used in place of / (tests); empty on real hosts
# STRATA_SYSTEMCTL  the systemctl to call (tests pass a recorder)
set -euo pipefail

PREFIX="${STRATA_PREFIX:-}"
# shellcheck disable=SC2034  # read by the script appended to this one
SYSTEMCTL="${STRATA_SYSTEMCTL:-systemctl}"
CHANGED=0

log() { printf 'strata: %s\n' "$*" >&2; }

# write_file PATH MODE: replace PATH with stdin if the content differs.
write_file() {
  local path="$1" mode="$2" tmp
  mkdir -p "$(dirname "$path")"
  tmp="$(mktemp "${path}.XXXXXX")"
  cat > "$tmp"
  if [ -f "$path" ] && cmp -s "$tmp" "$path"; then
    rm -f "$tmp"
    log "unchanged ${path#"$PREFIX"}"
  else
    chmod "$mode" "$tmp"
    mv -f "$tmp" "$path"
    # shellcheck disable=SC2034  # read by the script appended to this one
    CHANGED=1
    log "wrote ${path#"$PREFIX"}"
  fi
}

# fetch URL DEST SHA256: download DEST unless it already has the expected checksum.
fetch() {
  local url="$1" dest="$2" want="$3"
  if [ -f "$dest" ] && [ "$(sha256sum "$dest" | cut -d' ' -f1)" = "$want" ]; then
    log "present ${dest#"$PREFIX"}"
    return 0
  fi
  mkdir -p "$(dirname "$dest")"
  curl -fsSL --retry 3 -o "${dest}.part" "$url"
  if [ "$(sha256sum "${dest}.part" | cut -d' ' -f1)" != "$want" ]; then
    rm -f "${dest}.part"
    log "checksum mismatch for $url"
    return 1
  fi
  mv -f "${dest}.part" "$dest"
  # shellcheck disable=SC2034  # read by the script appended to this one
  CHANGED=1
  log "fetched ${dest#"$PREFIX"}"
}

# checksum_of FILE NAME: the expected sha256 of NAME in a sha256sum listing.
checksum_of() {
  awk -v name="$2" '$2 == name { print $1 }' "$1"
}

# minor_of VERSION: v1.35.7+rke2r1 -> 35
minor_of() {
  local v="${1#v}"
  v="${v#*.}"
  printf '%s\n' "${v%%.*}"
}

require() {
  local name
  for name in "$@"; do
    if [ -z "${!name:-}" ]; then
      log "missing required setting $name"
      exit 2
    fi
  done
}
