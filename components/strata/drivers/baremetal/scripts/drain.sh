# Drain a node and delete it from the cluster; runs on the first server before the node's
# distribution is uninstalled. A node that is already gone is fine.
require STRATA_NODE_NAME
KUBECTL="${PREFIX}/var/lib/rancher/rke2/bin/kubectl"
KUBECONFIG_FILE="${PREFIX}/etc/rancher/rke2/rke2.yaml"
if ! "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" get node "$STRATA_NODE_NAME" > /dev/null 2>&1; then
  log "node $STRATA_NODE_NAME is not in the cluster; nothing to drain"
  exit 0
fi
"$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" drain "$STRATA_NODE_NAME" \
  --ignore-daemonsets --delete-emptydir-data --timeout=600s
"$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" delete node "$STRATA_NODE_NAME" --ignore-not-found
log "drained and removed $STRATA_NODE_NAME"
