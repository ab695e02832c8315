# Print the cluster's admin kubeconfig from the first server, pointed at STRATA_SERVER_ADDRESS
# instead of the loopback address RKE2 writes.
require STRATA_SERVER_ADDRESS
sed "s#https://127.0.0.1:6443#https://${STRATA_SERVER_ADDRESS}:6443#" "${PREFIX}/etc/rancher/rke2/rke2.yaml"
