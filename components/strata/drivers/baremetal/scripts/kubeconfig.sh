# Print the cluster's admin kubeconfig from the first server, pointed at STRATA_SERVER_HOST (the
# server's address as it stands in a URL: an IPv6 address in brackets) instead of the loopback
# address RKE2 writes.
require STRATA_SERVER_HOST
sed "s#https://127.0.0.1:6443#https://${STRATA_SERVER_HOST}:6443#" "${PREFIX}/etc/rancher/rke2/rke2.yaml"
