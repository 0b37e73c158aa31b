#!/bin/sh
# Adds a Kubernetes cluster CA to the certificate bundle of a devicescript-esp32 build.
#
#   add-cluster-ca.sh <devicescript-esp32 checkout> <ca.pem | kubeconfig> [name]
#
# The firmware verifies TLS servers against the bundle ESP-IDF's esp_crt_bundle builds at
# compile time. devicescript-esp32's boards/sdkconfig.common sets
# CONFIG_MBEDTLS_CUSTOM_CERTIFICATE_BUNDLE_PATH="scripts", and IDF's gen_crt_bundle.py reads
# every *.pem in that folder, so the CA goes to scripts/<name>.pem next to ca-bundle.pem.
set -eu

die() {
    echo "add-cluster-ca: $*" >&2
    exit 1
}

[ $# -ge 2 ] || die "usage: $0 <devicescript-esp32 checkout> <ca.pem | kubeconfig> [name]"
fw=$1
src=$2
name=${3:-cluster-ca}

command -v openssl >/dev/null || die "openssl is required to check the certificate"
[ -f "$fw/boards/sdkconfig.common" ] || die "$fw does not look like a devicescript-esp32 checkout"
grep -q '^CONFIG_MBEDTLS_CUSTOM_CERTIFICATE_BUNDLE_PATH="scripts"' "$fw/boards/sdkconfig.common" ||
    die "$fw/boards/sdkconfig.common no longer bundles scripts/*.pem; find where its bundle comes from"
[ -r "$src" ] || die "cannot read $src"
case $name in
*/* | .* | "") die "name must be a plain file name" ;;
esac

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

if grep -q -- '-----BEGIN CERTIFICATE-----' "$src"; then
    # k3s: /var/lib/rancher/k3s/server/tls/server-ca.crt
    cp "$src" "$tmp"
else
    # a kubeconfig: the first cluster's certificate-authority-data (base64 PEM)
    data=$(sed -n 's/^[[:space:]]*certificate-authority-data:[[:space:]]*//p' "$src" | head -n 1)
    [ -n "$data" ] || die "$src has neither a PEM certificate nor certificate-authority-data"
    printf '%s' "$data" | openssl base64 -d -A >"$tmp" 2>/dev/null ||
        die "certificate-authority-data in $src is not valid base64"
fi

count=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$tmp" || true)
[ "$count" = 1 ] || die "expected exactly one certificate, found $count"
openssl x509 -in "$tmp" -noout 2>/dev/null || die "not a valid X.509 PEM certificate"
openssl x509 -in "$tmp" -noout -checkend 0 >/dev/null 2>&1 || die "the certificate has expired"
# a CA: self-signed roots carry basicConstraints CA:TRUE (k3s server-ca does)
openssl x509 -in "$tmp" -noout -text | grep -q 'CA:TRUE' ||
    die "not a CA certificate (no basicConstraints CA:TRUE); give the cluster CA, not the server cert"

dest="$fw/scripts/$name.pem"
openssl x509 -in "$tmp" -out "$dest"
echo "added $(openssl x509 -in "$dest" -noout -subject) as $dest"
echo "the bundle is generated at build time: run 'idf.py fullclean' (or rm -rf build) before 'make'"
