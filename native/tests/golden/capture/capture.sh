#!/usr/bin/env bash
# Prints the netlink requests `ip`, `bridge` and `nft` send for the objects the
# golden tests pin (native/tests/golden/fixtures/*.h hold what this printed,
# once, with iproute2 6.1.0 and nftables 1.0.6 on kernel 6.18). Changes
# network state: run it only inside the sandbox,
#   scripts/sandbox native/tests/golden/capture/capture.sh
# Each request is printed as strace saw it leave, with nlmsg_seq and
# nlmsg_pid zeroed (the sending socket numbers requests; the kernel fills the
# port id); dumps, GETs and nf_tables batch brackets are left out (extract.mjs).
# Ifindexes are those of a fresh namespace: lo 1, then in order of creation
# (v0 2, br0 3, vx0 4, mv0 5); run again, it prints the same bytes. Before
# each `ip link` command ip sends an empty RTM_NEWLINK (its probe for
# RTM_NEWLINK support), printed too but no fixture.
set -euo pipefail
[ "${NETPLUMB_SANDBOX:-}" = 1 ] || { echo "run inside scripts/sandbox" >&2; exit 64; }
here=$(dirname "$0")
st=$(mktemp)
cap() {
  echo "## $*"
  strace -f -e trace=sendmsg,sendto -e write=all -xx -s 65536 -o "$st" "$@" || echo "(exit $?)"
  node "$here/extract.mjs" < "$st"
}

ip netns add peerns
cap ip link add v0 type veth peer name v1 netns peerns
cap ip link add br0 type bridge stp_state 1 forward_delay 1500 ageing_time 30000 mcast_snooping 0
cap ip link add vx0 type vxlan id 42 remote 192.0.2.1 local 192.0.2.2 dev v0 dstport 4789 nolearning ttl 64
cap ip link add mv0 link v0 type macvlan mode bridge
cap ip link set dev v0 up
cap ip link set dev v0 alias uplink
cap ip link set dev v0 addrgenmode none
ip link set br0 up
cap ip addr add 10.1.2.3/24 brd + dev br0
cap ip addr add 10.1.2.4/24 dev br0
cap ip -6 addr add fd00::1/64 dev br0 nodad
cap ip -6 addr add fd00::2/64 dev br0 nodad noprefixroute
cap ip route add default via 10.1.2.1
cap ip route add 10.9.0.0/16 via 10.3.0.1 dev br0 onlink
cap ip route add 10.8.0.0/16 dev br0
cap ip route add 10.7.0.0/16 via 10.1.2.1 src 10.1.2.3 metric 50 mtu 1400 table 100
cap ip -6 route add fd01::/64 via fd00::99 dev br0
cap ip neigh add 10.1.2.9 lladdr 02:00:00:00:00:09 dev br0 nud permanent
cap ip -6 neigh add fd00::9 lladdr 02:00:00:00:00:0a dev br0 nud permanent router
cap bridge fdb add 02:00:00:00:00:0c dev vx0 dst 192.0.2.3 self static
cap bridge fdb add 02:00:00:00:00:0b dev vx0 dst 192.0.2.4 vni 43 port 4790 self permanent
cap ip neigh del 10.1.2.9 dev br0
cap bridge fdb del 02:00:00:00:00:0c dev vx0 dst 192.0.2.3 self
cap ip route del 10.8.0.0/16 dev br0
cap ip addr del 10.1.2.4/24 dev br0
cap ip link del mv0

cap nft add table inet np
cap nft add table ip np2 '{ flags dormant; comment "two"; }'
cap nft add chain inet np prerouting '{ type nat hook prerouting priority dstnat; policy accept; }'
cap nft add chain inet np postrouting '{ type nat hook postrouting priority srcnat; policy accept; }'
cap nft add chain inet np forward '{ type filter hook forward priority filter; policy drop; }'
cap nft add chain inet np nat-br0
cap nft add set inet np bridges '{ type ifname; }'
cap nft add map inet np ports4 '{ type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }'
cap nft add map inet np nat_src4 '{ type ipv4_addr : verdict; flags interval; }'
cap nft add map inet np from_bridge '{ type ifname : verdict; }'
cap nft add element inet np bridges '{ "br0" }'
cap nft add element inet np ports4 '{ 127.0.0.1 . tcp . 8080 comment "ep1" : 10.1.2.2 . 80 }'
cap nft add element inet np nat_src4 '{ 10.1.0.0/16 : jump nat-br0 }'
cap nft -e add rule inet np postrouting ip saddr 127.0.0.0/8 oifname @bridges counter masquerade
cap nft -e add rule inet np prerouting fib daddr type local meta nfproto ipv4 dnat ip to ip daddr . meta l4proto . th dport map @ports4
cap nft -e add rule inet np forward ct state established,related accept
cap nft -e add rule inet np forward meta iifname vmap @from_bridge
cap nft delete element inet np bridges '{ "br0" }'
handle=$(nft -a list chain inet np forward | awk '/iifname vmap/ { print $NF }')
cap nft delete rule inet np forward handle "$handle"
rm -f "$st"
