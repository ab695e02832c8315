# Uninstall RKE2 from a host (after it was drained). Safe to run again on a clean host.
uninstaller="${PREFIX}/usr/local/bin/rke2-uninstall.sh"
if [ -x "$uninstaller" ]; then
  if [ -z "$PREFIX" ]; then
    "$uninstaller"
  else
    log "would run ${uninstaller#"$PREFIX"} (scratch root)"
  fi
fi
rm -rf "${PREFIX}/etc/rancher/rke2" "${PREFIX}/usr/local/share/strata" "${PREFIX}/var/lib/strata"
rm -f "${PREFIX}/etc/sysctl.d/60-rke2-cis.conf"
log "rke2 removed"
