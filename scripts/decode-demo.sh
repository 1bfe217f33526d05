#!/usr/bin/env bash
# `make decode-demo`: a registration, its acknowledgement, the
# revocation of the previous site, a heartbeat and a de-registration, encoded by GLMWire
# into Docs/examples/handoff.pcap, decoded by glmctl and, independently, by tshark.
set -euo pipefail
cd "$(dirname "$0")/.."

glmctl=.build/release/glmctl
capture=Docs/examples/handoff.pcap
keys=Docs/examples/handoff.keys

echo "== glmctl decode $capture --keys $keys"
"$glmctl" decode "$capture" --keys "$keys"
echo
echo "== the same, as JSON (first message)"
"$glmctl" decode "$capture" --keys "$keys" --json | head -n 1
echo
echo "== tshark's reading of the same capture"
tshark -n -r "$capture" 2>/dev/null
echo
tshark -n -r "$capture" -T fields -E header=y -E separator=/t -E occurrence=f \
    -e frame.number -e mip6.mhtype -e mip6.bu.seqnr -e mip6.ba.status -e mip6.bri_r.trigger \
    -e mip6.ipv4ha.ha -e mip6.ipv4dra.dra -e mip6.gre_key -e mip6.auth.mobility_spi 2>/dev/null |
    awk -F'\t' -v OFS='\t' '{ for (i = 1; i <= NF; i++) if ($i == "") $i = "-"; print }' | column -t
