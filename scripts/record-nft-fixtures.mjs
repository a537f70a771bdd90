#!/usr/bin/env node
// Records the nf_tables golden fixtures (test/fixtures/nft/*.json) from the real nft tool:
// every rule form below is loaded with `nft -f` into a fresh network namespace, and what
// `nft -j list ruleset` prints for it (the rule's statements, and any named sets) is written as
// the fixture's expected JSON. Run inside the sandbox: scripts/in-sandbox node scripts/record-nft-fixtures.mjs
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

if (process.env.ROUTEMARK_IN_SANDBOX !== '1') {
  console.error('run me through scripts/in-sandbox');
  process.exit(1);
}

const FILTER_IN = 'type filter hook input priority 0; policy accept;';
const ROUTE_OUT = 'type route hook output priority mangle; policy accept;';
const MANGLE_PRE = 'type filter hook prerouting priority mangle; policy accept;';
const FORWARD_MANGLE = 'type filter hook forward priority mangle; policy accept;';
const POSTROUTING_MANGLE = 'type filter hook postrouting priority mangle; policy accept;';
const SNAT = 'type nat hook postrouting priority srcnat; policy accept;';
const RAW_PRE = 'type filter hook prerouting priority raw; policy accept;';
const DNAT = 'type nat hook prerouting priority dstnat; policy accept;';

// Statements nft 1.0.6 lists as text (its JSON has no map statement, neither printed nor read),
// written as libnftables-json(5) of later nft versions prints them.
const saddr = { payload: { protocol: 'ip', field: 'saddr' } };
const MAP_UPDATE_MARK = [{ map: { op: 'update', elem: saddr, data: { meta: { key: 'mark' } }, map: '@sticky' } }];
const MAP_ADD_TIMEOUT = [{ map: { op: 'add', elem: { elem: { val: saddr, timeout: 60 } }, data: 5, map: '@sticky' } }];
const MAP_UPDATE_CONCAT = [{ map: { op: 'update', elem: { concat: [saddr, { payload: { protocol: 'tcp', field: 'dport' } }] }, data: { ct: { key: 'mark' } }, map: '@flows' } }, { accept: null }];

// name, family, chain definition, rule, named sets/maps/objects (nft syntax, inside the table), and for
// rules nft lists partly as text, the rule's statements as JSON
const FORMS = [
  ['meta-mark', 'ip', FILTER_IN, 'meta mark 0x41 accept'],
  ['meta-mark-neq', 'ip', FILTER_IN, 'meta mark != 0x41 accept'],
  ['meta-mark-mask', 'ip', FILTER_IN, 'meta mark & 0xff == 0x41 accept'],
  ['meta-iif', 'ip', FILTER_IN, 'meta iif "lo" accept'],
  ['meta-oif', 'ip', ROUTE_OUT, 'meta oif "lo" accept'],
  ['meta-iifname', 'ip', FILTER_IN, 'iifname "eth0" accept'],
  ['meta-oifname', 'ip', ROUTE_OUT, 'oifname "tun0" accept'],
  ['meta-iifname-wildcard', 'ip', FILTER_IN, 'iifname "eth*" accept'],
  ['meta-l4proto', 'ip', FILTER_IN, 'meta l4proto udp accept'],
  ['meta-l4proto-set', 'ip', FILTER_IN, 'meta l4proto { tcp, udp } accept'],
  ['meta-nfproto', 'inet', FILTER_IN, 'meta nfproto ipv6 accept'],
  ['meta-skuid', 'ip', ROUTE_OUT, 'meta skuid 469 accept'],
  ['meta-skgid', 'ip', ROUTE_OUT, 'meta skgid 100 accept'],
  ['ip-saddr', 'ip', FILTER_IN, 'ip saddr 192.0.2.1 accept'],
  ['ip-daddr-neq', 'ip', FILTER_IN, 'ip daddr != 192.0.2.1 drop'],
  ['ip-saddr-prefix-8', 'ip', FILTER_IN, 'ip saddr 10.0.0.0/8 accept'],
  ['ip-saddr-prefix-20', 'ip', FILTER_IN, 'ip saddr 10.0.16.0/20 accept'],
  ['ip-saddr-prefix-neq', 'ip', FILTER_IN, 'ip saddr != 10.0.0.0/8 accept'],
  ['ip-saddr-range', 'ip', FILTER_IN, 'ip saddr 10.0.0.1-10.0.0.9 drop'],
  ['ip-saddr-range-neq', 'ip', FILTER_IN, 'ip saddr != 10.0.0.1-10.0.0.9 drop'],
  ['ip-saddr-set', 'ip', FILTER_IN, 'ip saddr { 192.0.2.1, 192.0.2.2 } accept'],
  ['ip-saddr-set-neq', 'ip', FILTER_IN, 'ip daddr != { 192.0.2.1, 192.0.2.2 } accept'],
  ['ip-saddr-interval-set', 'ip', FILTER_IN, 'ip saddr { 10.0.0.0/8, 192.0.2.1-192.0.2.9, 198.51.100.7 } accept'],
  ['ip-saddr-named-set', 'ip', FILTER_IN, 'ip saddr @allowed accept', 'set allowed { type ipv4_addr; elements = { 192.0.2.1, 192.0.2.2 } }'],
  ['ip-daddr-named-set-neq', 'ip', FILTER_IN, 'ip daddr != @allowed drop', 'set allowed { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.0.2.1-192.0.2.9 } }'],
  ['ip6-saddr', 'ip6', FILTER_IN, 'ip6 saddr 2001:db8::1 accept'],
  ['ip6-daddr-prefix', 'ip6', FILTER_IN, 'ip6 daddr 2001:db8::/32 accept'],
  ['ip6-saddr-prefix-odd', 'ip6', FILTER_IN, 'ip6 saddr 2001:db8:8000::/33 accept'],
  ['ip6-saddr-range', 'ip6', FILTER_IN, 'ip6 saddr 2001:db8::1-2001:db8::5 accept'],
  ['ip6-saddr-set', 'ip6', FILTER_IN, 'ip6 saddr { 2001:db8::1, 2001:db8::2 } accept'],
  ['tcp-dport', 'ip', FILTER_IN, 'tcp dport 22 accept'],
  ['tcp-dport-neq', 'ip', FILTER_IN, 'tcp dport != 22 accept'],
  ['tcp-sport-range', 'ip', FILTER_IN, 'tcp sport 1000-2000 accept'],
  ['tcp-dport-range-neq', 'ip', FILTER_IN, 'tcp dport != 1-1024 drop'],
  ['tcp-dport-set', 'ip', FILTER_IN, 'tcp dport { 22, 80, 443 } accept'],
  ['tcp-dport-named-set', 'ip', FILTER_IN, 'tcp dport @ports accept', 'set ports { type inet_service; elements = { 22, 80 } }'],
  ['tcp-flags-syn', 'ip', FILTER_IN, 'tcp flags syn accept'],
  ['tcp-flags-neq', 'ip', FILTER_IN, 'tcp flags != syn accept'],
  ['tcp-flags-mask', 'inet', FILTER_IN, 'tcp flags & (fin | syn | rst | ack) == syn accept'],
  ['tcp-option-maxseg-clamp', 'inet', FORWARD_MANGLE, 'tcp flags syn tcp option maxseg size set rt mtu'],
  ['tcp-option-maxseg-clamp-oifname', 'ip', POSTROUTING_MANGLE, 'oifname "wg0" tcp flags syn tcp option maxseg size set rt mtu'],
  ['tcp-option-maxseg-set', 'ip6', FORWARD_MANGLE, 'tcp flags syn tcp option maxseg size set 1360'],
  ['tcp-option-maxseg-gt-set', 'ip', FORWARD_MANGLE, 'tcp option maxseg size > 1400 tcp option maxseg size set 1400'],
  ['tcp-option-maxseg-range', 'ip', FILTER_IN, 'tcp option maxseg size 1000-1500 accept'],
  ['tcp-option-maxseg-set-lookup', 'ip', FILTER_IN, 'tcp option maxseg size { 1400, 1460 } accept'],
  ['tcp-option-exists', 'ip', FILTER_IN, 'tcp option sack-perm exists accept'],
  ['tcp-option-missing', 'inet', FILTER_IN, 'tcp option maxseg missing drop'],
  ['tcp-option-window-count', 'ip', FILTER_IN, 'tcp option window count 7 accept'],
  ['tcp-option-timestamp-tsval', 'ip', FILTER_IN, 'tcp option timestamp tsval != 0 accept'],
  ['rt-mtu', 'ip', FORWARD_MANGLE, 'rt mtu 1400 accept'],
  ['quota-mbytes', 'ip', FILTER_IN, 'quota 100 mbytes accept'],
  ['quota-over-used', 'ip', FILTER_IN, 'quota over 1024 mbytes used 10 mbytes drop'],
  ['quota-bytes', 'ip', FILTER_IN, 'quota 1500 bytes'],
  ['ct-zone', 'ip', FILTER_IN, 'ct zone 2 accept'],
  ['ct-zone-set', 'ip', RAW_PRE, 'iifname "eth0" ct zone set 2'],
  ['ct-zone-set-map', 'ip', RAW_PRE, 'ct zone set iifname map { "eth0" : 1, "eth1" : 2 }'],
  ['notrack', 'ip', RAW_PRE, 'udp dport 53 notrack'],
  ['numgen-inc-offset', 'ip', MANGLE_PRE, 'meta mark set numgen inc mod 2 offset 10'],
  ['numgen-random', 'ip', MANGLE_PRE, 'ct mark set numgen random mod 4'],
  ['numgen-map', 'ip', MANGLE_PRE, 'meta mark set numgen inc mod 2 map { 0 : 10, 1 : 11 }'],
  ['numgen-match', 'inet', FILTER_IN, 'numgen inc mod 3 offset 1 1 accept'],
  ['numgen-vmap', 'ip', FILTER_IN, 'numgen random mod 2 vmap { 0 : accept, 1 : drop }'],
  ['jhash-saddr-offset', 'ip', MANGLE_PRE, 'meta mark set jhash ip saddr mod 2 offset 10'],
  ['jhash-concat-seed', 'ip', MANGLE_PRE, 'meta mark set jhash ip saddr . tcp dport mod 2 seed 0xdead'],
  ['jhash-inet-seed-zero', 'inet', MANGLE_PRE, 'meta mark set jhash ip saddr mod 2 seed 0x0'],
  ['jhash-match', 'ip6', FILTER_IN, 'jhash ip6 saddr mod 4 seed 0x1 3 accept'],
  ['symhash', 'ip', MANGLE_PRE, 'ct mark set symhash mod 2'],
  ['symhash-offset-map', 'ip', MANGLE_PRE, 'meta mark set symhash mod 2 offset 100 map { 100 : 1, 101 : 2 }'],
  ['socket-transparent', 'ip', MANGLE_PRE, 'meta l4proto tcp socket transparent 1 meta mark set 1 accept'],
  ['socket-transparent-zero', 'inet', MANGLE_PRE, 'socket transparent 0 accept'],
  ['socket-mark', 'ip', FILTER_IN, 'socket mark 0x1 accept'],
  ['socket-mark-set', 'ip6', FILTER_IN, 'socket mark { 0x1, 0x2 } accept'],
  ['socket-wildcard', 'inet', FILTER_IN, 'socket wildcard 0 accept'],
  ['tproxy-port', 'ip', MANGLE_PRE, 'meta l4proto tcp tproxy to :8080 meta mark set 1 accept'],
  ['tproxy-addr-port', 'ip', MANGLE_PRE, 'meta l4proto tcp tproxy to 127.0.0.1:8080'],
  ['tproxy-addr', 'ip', MANGLE_PRE, 'tcp dport 80 tproxy to 192.0.2.1'],
  ['tproxy-ip6', 'ip6', MANGLE_PRE, 'meta l4proto udp tproxy to [2001:db8::1]:53'],
  ['tproxy-inet-ip', 'inet', MANGLE_PRE, 'meta l4proto tcp meta mark set 1 tproxy ip to 127.0.0.1:8080'],
  ['tproxy-inet-ip6', 'inet', MANGLE_PRE, 'meta l4proto tcp tproxy ip6 to [::1]:8080'],
  ['tproxy-inet-port', 'inet', MANGLE_PRE, 'meta l4proto { tcp, udp } tproxy to :8080'],
  ['tproxy-inet-ip-port', 'inet', MANGLE_PRE, 'meta l4proto tcp tproxy ip to :8080'],
  ['fib-saddr-iif-missing', 'inet', MANGLE_PRE, 'fib saddr . iif oif missing drop'],
  ['fib-saddr-mark-iif-exists', 'ip', MANGLE_PRE, 'fib saddr . mark . iif oif exists accept'],
  ['fib-daddr-type-local', 'ip', FILTER_IN, 'fib daddr type local accept'],
  ['fib-daddr-type-set', 'inet', MANGLE_PRE, 'fib daddr type { local, broadcast } accept'],
  ['fib-daddr-iif-type-neq', 'ip6', MANGLE_PRE, 'fib daddr . iif type != local drop'],
  ['fib-saddr-oif', 'ip', MANGLE_PRE, 'fib saddr oif "lo" accept'],
  ['fib-daddr-oifname', 'ip', MANGLE_PRE, 'fib daddr oifname "lo" accept'],
  ['udp-dport', 'ip', FILTER_IN, 'udp dport 53 accept'],
  ['udp-sport', 'ip', FILTER_IN, 'udp sport 123 accept'],
  ['th-dport', 'ip', FILTER_IN, 'th dport 53 accept'],
  ['th-dport-set', 'ip', FILTER_IN, 'th dport { 53, 123 } accept'],
  ['ip6-tcp-dport', 'ip6', FILTER_IN, 'tcp dport 22 accept'],
  ['inet-ip-saddr', 'inet', FILTER_IN, 'ip saddr 192.0.2.1 accept'],
  ['inet-ip6-daddr', 'inet', FILTER_IN, 'ip6 daddr 2001:db8::/32 accept'],
  ['inet-tcp-dport', 'inet', FILTER_IN, 'tcp dport 22 accept'],
  ['inet-ip-saddr-tcp-dport', 'inet', FILTER_IN, 'ip saddr 192.0.2.1 tcp dport 22 accept'],
  ['ct-state-in', 'ip', FILTER_IN, 'ct state established,related accept'],
  ['ct-state-single', 'ip', FILTER_IN, 'ct state established accept'],
  ['ct-state-neq', 'ip', FILTER_IN, 'ct state != established drop'],
  ['ct-state-set', 'ip', FILTER_IN, 'ct state { established, related } accept'],
  ['ct-state-invalid', 'ip', FILTER_IN, 'ct state invalid drop'],
  ['ct-mark', 'ip', FILTER_IN, 'ct mark 0x41 accept'],
  ['ct-mark-mask', 'ip', FILTER_IN, 'ct mark & 0xff == 0x1 accept'],
  ['ct-direction-original', 'ip', FILTER_IN, 'ct direction original accept'],
  ['ct-direction-reply', 'ip', FILTER_IN, 'ct direction reply accept'],
  ['ct-status-dnat', 'ip', FILTER_IN, 'ct status dnat accept'],
  ['ct-status-in', 'ip', FILTER_IN, 'ct status snat,dnat counter'],
  ['ct-status-not-assured', 'ip', FILTER_IN, 'ct status & assured == 0 drop'],
  ['ct-original-daddr', 'ip', FILTER_IN, 'ct original ip daddr 203.0.113.10 accept'],
  ['ct-reply-saddr-prefix', 'ip', FILTER_IN, 'ct reply ip saddr 10.0.0.0/8 counter'],
  ['ct-original-daddr-prefix-15', 'ip', FILTER_IN, 'ct original ip daddr != 10.2.0.0/15 accept'],
  ['ct-original-ip6-saddr-inet', 'inet', FILTER_IN, 'ct original ip6 saddr 2001:db8::1 accept'],
  ['ct-original-daddr-mark-map', 'ip', MANGLE_PRE, 'meta mark set ct original ip daddr map { 203.0.113.10 : 1, 203.0.113.11 : 2 }'],
  ['ct-l3proto', 'inet', FILTER_IN, 'ct l3proto ipv6 accept'],
  ['ct-protocol', 'ip', FILTER_IN, 'ct protocol udp accept'],
  ['concat-named-set', 'ip', FILTER_IN, 'ip saddr . tcp dport @pairs accept', 'set pairs { type ipv4_addr . inet_service; elements = { 192.0.2.1 . 22, 192.0.2.2 . 80 } }'],
  ['concat-ip6-named-set', 'ip6', FILTER_IN, 'ip6 saddr . tcp dport . ip6 daddr @triples accept', 'set triples { type ipv6_addr . inet_service . ipv6_addr; elements = { 2001:db8::1 . 22 . 2001:db8::2 } }'],
  ['concat-port-first-ip6', 'ip6', FILTER_IN, 'tcp dport . ip6 saddr . meta mark @pairs accept', 'set pairs { type inet_service . ipv6_addr . mark; elements = { 22 . 2001:db8::1 . 0x1 } }'],
  ['concat-anonymous-set', 'ip', FILTER_IN, 'ip saddr . tcp dport { 192.0.2.1 . 22, 192.0.2.2 . 80 } accept'],
  ['concat-interval-set', 'ip', FILTER_IN, 'ip daddr . tcp dport @nets accept', 'set nets { type ipv4_addr . inet_service; flags interval; elements = { 10.0.0.0/8 . 22-23, 192.0.2.1 . 80 } }'],
  ['mark-named-set', 'ip', FILTER_IN, 'meta mark @marks accept', 'set marks { type mark; elements = { 0x1, 0x41, 0x100 } }'],
  ['ifname-named-set', 'ip', FILTER_IN, 'iifname @ifs accept', 'set ifs { type ifname; elements = { "eth0", "tun0" } }'],
  ['ip6-named-set', 'ip6', FILTER_IN, 'ip6 saddr @v6 accept', 'set v6 { type ipv6_addr; flags interval; elements = { 2001:db8::/32, 2001:db9::1 } }'],
  ['ip-saddr-adjacent-intervals', 'ip', FILTER_IN, 'ip saddr @nets accept', 'set nets { type ipv4_addr; flags interval; elements = { 10.0.0.0/24, 10.0.1.0/24, 10.0.2.0-10.0.2.9 } }'],
  // Host-order integers (marks, uids, zones) compared by size: nft converts them to network
  // order first (a byteorder expression), and stores interval set keys in network order.
  ['meta-mark-range', 'ip', FILTER_IN, 'meta mark 0x10-0x20 accept'],
  ['meta-mark-range-neq', 'ip', FILTER_IN, 'meta mark != 0x10-0x20 accept'],
  ['meta-mark-mask-range', 'ip', FILTER_IN, 'meta mark & 0xff00 0x100-0x200 accept'],
  ['ct-mark-range', 'ip', FILTER_IN, 'ct mark 0x10-0x20 accept'],
  ['ct-zone-range', 'ip', FILTER_IN, 'ct zone 1-5 accept'],
  ['meta-skuid-range', 'ip', ROUTE_OUT, 'meta skuid 1000-2000 accept'],
  ['meta-skuid-gt', 'ip', ROUTE_OUT, 'meta skuid > 1000 accept'],
  ['meta-skgid-lte', 'ip', ROUTE_OUT, 'meta skgid <= 100 accept'],
  ['mark-anonymous-interval-set', 'ip', FILTER_IN, 'meta mark { 0x5-0x7, 0x9 } accept'],
  ['mark-interval-named-set', 'ip', FILTER_IN, 'meta mark @marks accept', 'set marks { type mark; flags interval; elements = { 0x10-0x20, 0x100 } }'],
  ['uid-interval-named-set-neq', 'ip', ROUTE_OUT, 'meta skuid != @users drop', 'set users { type uid; flags interval; elements = { 1000-2000, 3000 } }'],
  ['mark-concat-interval-set', 'ip', FILTER_IN, 'meta mark . ip saddr @pairs accept', 'set pairs { type mark . ipv4_addr; flags interval; elements = { 0x10-0x20 . 10.0.0.0/8, 0x30 . 192.0.2.1 } }'],
  ['port-mark-concat-interval-set', 'ip', FILTER_IN, 'tcp dport . meta mark @pairs accept', 'set pairs { type inet_service . mark; flags interval; elements = { 22 . 0x10-0x20 } }'],
  ['mark-concat-anonymous-interval', 'ip', FILTER_IN, 'meta mark . ip saddr { 0x1-0x2 . 10.0.0.1 } accept'],
  ['mark-vmap-interval-named', 'ip', FILTER_IN, 'meta mark vmap @verdicts', 'map verdicts { type mark : verdict; flags interval; elements = { 0x10-0x20 : accept, 0x30 : drop } }'],
  ['mark-vmap-interval-anonymous', 'ip', FILTER_IN, 'meta mark vmap { 0x10-0x20 : accept, 0x30 : drop }'],
  ['ct-mark-set-map-interval', 'ip', MANGLE_PRE, 'ct mark set meta mark map { 0x10-0x20 : 0x1, 0x30 : 0x2 }'],
  ['meta-mark-set', 'ip', ROUTE_OUT, 'tcp dport 465 meta mark set 0x41'],
  ['meta-mark-set-ct-mark', 'ip', MANGLE_PRE, 'meta mark set ct mark'],
  ['ct-mark-set-meta-mark', 'ip', SNAT, 'ct mark set meta mark'],
  ['ct-mark-set-value', 'ip', MANGLE_PRE, 'ct mark set 0x10'],
  ['ct-mark-set-meta-mark-and', 'ip', SNAT, 'ct mark set meta mark & 0xffff'],
  ['meta-mark-set-and-or', 'ip', MANGLE_PRE, 'meta mark set meta mark & 0xffffff00 | 0x41'],
  ['meta-mark-set-ct-mark-and', 'ip', MANGLE_PRE, 'meta mark set ct mark & 0xff'],
  ['ct-mark-set-ct-mark-and-or', 'ip', MANGLE_PRE, 'ct mark set ct mark & 0xffff0000 | 0x41'],
  ['meta-mark-set-or', 'ip', MANGLE_PRE, 'meta mark set meta mark | 0x100'],
  ['meta-mark-set-xor', 'ip', MANGLE_PRE, 'meta mark set meta mark ^ 0x1'],
  ['meta-mark-set-map-named', 'ip', MANGLE_PRE, 'meta mark set ip saddr map @marks', 'map marks { type ipv4_addr : mark; elements = { 192.0.2.1 : 0x1, 192.0.2.2 : 0x2 } }'],
  ['meta-mark-set-map-anonymous', 'ip', MANGLE_PRE, 'meta mark set ip saddr map { 192.0.2.1 : 0x1, 192.0.2.2 : 0x2 }'],
  ['meta-mark-set-map-interval', 'ip', MANGLE_PRE, 'meta mark set ip saddr map @nets', 'map nets { type ipv4_addr : mark; flags interval; elements = { 10.0.0.0/8 : 0x1, 192.0.2.1-192.0.2.9 : 0x2 } }'],
  ['ct-mark-set-map-concat', 'ip', MANGLE_PRE, 'ct mark set ip saddr . tcp dport map @pairs', 'map pairs { type ipv4_addr . inet_service : mark; elements = { 192.0.2.1 . 22 : 0x1 } }'],
  ['vmap-anonymous', 'ip', FILTER_IN, 'ip saddr vmap { 192.0.2.1 : accept, 192.0.2.2 : drop }'],
  ['vmap-named', 'ip', FILTER_IN, 'tcp dport vmap @verdicts', 'map verdicts { type inet_service : verdict; elements = { 22 : accept, 23 : drop } }'],
  ['counter', 'ip', FILTER_IN, 'counter'],
  ['counter-values', 'ip', FILTER_IN, 'counter packets 10 bytes 2000 accept'],
  // Object maps: the named counter or quota a key maps to (one rule counting per source, per uplink).
  ['counter-map-named', 'ip', FILTER_IN, 'counter name ip saddr map @m', 'counter c1 { }\n  counter c2 { }\n  map m { type ipv4_addr : counter; elements = { 192.0.2.1 : "c1", 192.0.2.2 : "c2" } }'],
  ['counter-map-anonymous-mark', 'ip', POSTROUTING_MANGLE, 'counter name meta mark map { 0x1 : "up1", 0x2 : "up2" }', 'counter up1 { }\n  counter up2 { }'],
  ['counter-map-mark-interval', 'ip', POSTROUTING_MANGLE, 'counter name meta mark map @uplinks', 'counter up1 { }\n  map uplinks { type mark : counter; flags interval; elements = { 0x100-0x1fe : "up1" } }'],
  ['quota-map-interval', 'ip', FILTER_IN, 'quota name ip saddr map @q drop', 'quota q1 { over 100 mbytes }\n  map q { type ipv4_addr : quota; flags interval; elements = { 10.0.0.0/8 : "q1" } }'],
  ['comment', 'ip', FILTER_IN, 'tcp dport 22 accept comment "ssh in"'],
  ['log-prefix', 'ip', FILTER_IN, 'log prefix "routemark: " accept'],
  ['log-level', 'ip', FILTER_IN, 'log prefix "x " level info'],
  ['log-group', 'ip', FILTER_IN, 'log prefix "x" group 3'],
  ['log-flags-all', 'ip', FILTER_IN, 'log flags all'],
  ['log-flags', 'ip', FILTER_IN, 'log level debug flags tcp sequence,options'],
  ['log-plain', 'ip', FILTER_IN, 'log'],
  ['verdict-accept', 'ip', FILTER_IN, 'accept'],
  ['verdict-drop', 'ip', FILTER_IN, 'drop'],
  ['verdict-return', 'ip', FILTER_IN, 'return'],
  ['verdict-continue', 'ip', FILTER_IN, 'meta mark 0x1 continue'],
  ['verdict-jump', 'ip', FILTER_IN, 'jump other', 'chain other { accept; }'],
  ['verdict-goto', 'ip', FILTER_IN, 'goto other', 'chain other { accept; }'],
  ['reject-ip', 'ip', FILTER_IN, 'reject'],
  ['reject-tcp-reset', 'ip', FILTER_IN, 'reject with tcp reset'],
  ['reject-tcp-reset-after-dport', 'ip', FILTER_IN, 'tcp dport 23 reject with tcp reset'],
  ['reject-icmp-host', 'ip', FILTER_IN, 'reject with icmp host-unreachable'],
  ['reject-ip6', 'ip6', FILTER_IN, 'reject'],
  ['reject-icmpv6-admin', 'ip6', FILTER_IN, 'reject with icmpv6 admin-prohibited'],
  ['reject-inet', 'inet', FILTER_IN, 'reject'],
  ['reject-inet-icmpx-admin', 'inet', FILTER_IN, 'reject with icmpx admin-prohibited'],
  ['snat-address', 'ip', SNAT, 'oifname "eth0" snat to 10.2.2.1'],
  ['snat-address-ports', 'ip', SNAT, 'oifname "eth0" meta l4proto tcp snat to 10.2.2.1:20000-40000'],
  ['snat-address-range', 'ip', SNAT, 'snat to 10.0.0.1-10.0.0.5'],
  ['snat-per-subnet', 'ip', SNAT, 'ip saddr 10.1.0.0/16 snat to 198.51.100.3'],
  ['snat-flags', 'ip', SNAT, 'meta l4proto udp snat to 10.2.2.1:1000-2000 random,persistent'],
  ['dnat-address-port', 'ip', DNAT, 'tcp dport 6022 dnat to 192.168.53.206:22'],
  ['dnat-address', 'ip', DNAT, 'ip daddr 203.0.113.1 dnat to 192.0.2.10'],
  ['snat-inet-ip', 'inet', SNAT, 'ip saddr 10.1.0.0/16 snat ip to 10.3.3.3'],
  ['snat-inet-ip6-port', 'inet', SNAT, 'ip6 saddr 2001:db8::/32 meta l4proto tcp snat ip6 to [2001:db8::1]:80'],
  ['dnat-inet-ip', 'inet', DNAT, 'tcp dport 8080 dnat ip to 192.0.2.7:80'],
  ['masquerade', 'ip', SNAT, 'oifname "tun0" masquerade'],
  ['masquerade-ports', 'ip', SNAT, 'meta l4proto tcp masquerade to :1000-2000'],
  ['masquerade-random', 'ip', SNAT, 'masquerade random'],
  ['masquerade-inet', 'inet', SNAT, 'oifname "tun0" masquerade'],
  ['redirect', 'ip', DNAT, 'tcp dport 80 redirect'],
  ['redirect-port', 'ip', DNAT, 'tcp dport 80 redirect to :8080'],
  ['limit', 'ip', FILTER_IN, 'limit rate 10/second accept'],
  ['limit-over-burst', 'ip', FILTER_IN, 'limit rate over 10/minute burst 20 packets drop'],
  ['limit-bytes', 'ip', FILTER_IN, 'limit rate 1 mbytes/second accept'],
  ['limit-bytes-burst', 'ip', FILTER_IN, 'limit rate over 512 kbytes/second burst 64 kbytes drop'],
  ['ct-count-over', 'ip', FILTER_IN, 'tcp dport 22 ct count over 4 reject'],
  ['ct-count', 'inet', FILTER_IN, 'ct count 10 accept'],
  ['ct-count-ip6-zero', 'ip6', FILTER_IN, 'meta l4proto tcp ct count 0 counter'],
  ['dup-addr', 'ip', MANGLE_PRE, 'dup to 192.0.2.10'],
  ['dup-addr-device', 'ip', MANGLE_PRE, 'udp dport 5000 dup to 192.0.2.9 device "lo"'],
  ['dup-ip6-device', 'ip6', FILTER_IN, 'dup to 2001:db8::1 device "lo" accept'],
  ['counter-named', 'ip', FILTER_IN, 'counter name "up1" accept', 'counter up1 { packets 5 bytes 300 }'],
  ['counter-named-comment', 'ip', ROUTE_OUT, 'oifname "tun0" counter name "up2"', 'counter up2 { comment "second uplink"; }'],
  ['counter-named-ip6', 'ip6', FILTER_IN, 'counter name "c6"', 'counter c6 { }'],
  ['quota-named-over', 'ip', FILTER_IN, 'quota name "q1" drop', 'quota q1 { over 10 mbytes used 1 mbytes }'],
  ['quota-named-inet', 'inet', FILTER_IN, 'tcp dport 80 quota name "q2"', 'quota q2 { 2000 bytes }'],
  ['set-add', 'ip', FILTER_IN, 'add @seen { ip saddr }', 'set seen { type ipv4_addr; flags dynamic; }'],
  ['set-add-port-not-dynamic', 'ip6', FILTER_IN, 'add @ports { tcp dport } accept', 'set ports { type inet_service; }'],
  ['set-update-timeout', 'ip', FILTER_IN, 'update @seen { ip saddr timeout 30s }', 'set seen { type ipv4_addr; flags dynamic,timeout; timeout 1h; }'],
  ['set-update-inet-ip6-timeout', 'inet', FILTER_IN, 'update @seen6 { ip6 saddr timeout 2m }', 'set seen6 { type ipv6_addr; flags timeout; }'],
  ['set-delete', 'ip', FILTER_IN, 'ct state new delete @seen { ip saddr }', 'set seen { type ipv4_addr; flags dynamic; }'],
  ['set-add-concat', 'ip', FILTER_IN, 'add @pairs { ip saddr . tcp dport }', 'set pairs { type ipv4_addr . inet_service; flags dynamic; }'],
  ['set-add-concat-ip6', 'ip6', FILTER_IN, 'add @pairs6 { ip6 saddr . tcp dport }', 'set pairs6 { type ipv6_addr . inet_service; flags dynamic; }'],
  ['map-update-mark', 'ip', MANGLE_PRE, 'update @sticky { ip saddr : meta mark }', 'map sticky { type ipv4_addr : mark; flags dynamic; }', MAP_UPDATE_MARK],
  ['map-add-timeout-value', 'ip', MANGLE_PRE, 'add @sticky { ip saddr timeout 1m : 0x5 }', 'map sticky { type ipv4_addr : mark; flags dynamic,timeout; }', MAP_ADD_TIMEOUT],
  ['map-update-concat', 'ip', MANGLE_PRE, 'update @flows { ip saddr . tcp dport : ct mark } accept', 'map flows { type ipv4_addr . inet_service : mark; flags dynamic; }', MAP_UPDATE_CONCAT],
  ['meta-mark-mask-prefix', 'ip', FILTER_IN, 'meta mark & 0xffff0000 == 0x10000 accept'],
  ['ct-mark-mask-prefix-neq', 'inet', FILTER_IN, 'ct mark & 0xff000000 != 0x1000000 accept'],
  ['tcp-flags-eq-several', 'ip', FILTER_IN, 'tcp flags == syn|ack accept'],
  ['tcp-sport-dport-merged', 'ip', FILTER_IN, 'tcp dport 22 tcp sport 1024 accept'],
  ['ip6-length-nexthdr-merged', 'ip6', FILTER_IN, 'ip6 nexthdr udp meta mark 1 ip6 length 1121 accept'],
  ['ct-protocol-counter-tcp-dport', 'ip', FILTER_IN, 'ct protocol tcp counter tcp dport 22 accept'],
  ['ct-l3proto-counter-ip6-daddr', 'inet', FILTER_IN, 'ct l3proto ipv6 counter ip6 daddr 2001:db8::1 accept'],
  ['meta-pkttype', 'ip', FILTER_IN, 'meta pkttype broadcast drop'],
  ['meta-pkttype-set', 'inet', FILTER_IN, 'meta pkttype { broadcast, multicast } counter'],
  ['meta-pkttype-neq', 'ip6', FILTER_IN, 'meta pkttype != host drop'],
  ['meta-pkttype-number', 'ip', FILTER_IN, 'meta pkttype 3 counter'],
  ['meta-pkttype-named-set', 'inet', FILTER_IN, 'meta pkttype @p drop', 'set p { type pkt_type; elements = { broadcast, other } }'],
  ['meta-protocol', 'inet', FILTER_IN, 'meta protocol ip6 accept'],
  ['meta-protocol-set', 'inet', FILTER_IN, 'meta protocol { ip, arp } counter'],
  ['meta-protocol-unknown', 'inet', FILTER_IN, 'meta protocol 0x88cc counter'],
  ['meta-protocol-vlan', 'inet', FILTER_IN, 'meta protocol vlan counter'],
  ['meta-protocol-vmap', 'inet', FILTER_IN, 'meta protocol vmap { ip : accept, ip6 : drop }'],
  ['meta-protocol-named-set', 'inet', FILTER_IN, 'meta protocol @e accept', 'set e { type ether_type; elements = { ip, 0x88cc } }'],
  ['meta-iiftype', 'ip', FILTER_IN, 'meta iiftype loopback accept'],
  ['meta-oiftype-neq', 'ip', ROUTE_OUT, 'meta oiftype != ether drop'],
  ['meta-iiftype-unknown', 'ip', FILTER_IN, 'meta iiftype 32 counter'],
  ['meta-iiftype-named-set', 'ip6', FILTER_IN, 'meta iiftype @f accept', 'set f { type iface_type; elements = { ether, 32 } }'],
  ['meta-iifgroup', 'ip', FILTER_IN, 'iifgroup 0 accept'],
  ['meta-iifgroup-number', 'inet', FILTER_IN, 'iifgroup 7 counter'],
  ['meta-oifgroup-set', 'ip', ROUTE_OUT, 'oifgroup { 1, 2 } counter'],
  ['meta-iifgroup-range', 'ip', FILTER_IN, 'iifgroup 5-9 counter'],
  ['meta-iifgroup-named-set', 'ip', FILTER_IN, 'iifgroup @g accept', 'set g { type devgroup; elements = { default, 9 } }'],
  ['meta-mark-set-iifgroup-map', 'ip', MANGLE_PRE, 'meta mark set iifgroup map { 0 : 0x1, 7 : 0x2 }'],
  ['meta-iifkind', 'inet', FILTER_IN, 'meta iifkind "veth" accept'],
  ['meta-oifkind', 'ip', ROUTE_OUT, 'meta oifkind "wireguard" counter'],
  ['meta-cgroup', 'ip', ROUTE_OUT, 'meta cgroup 0x100001 meta mark set 0x1'],
  ['meta-cgroup-range', 'ip', ROUTE_OUT, 'meta cgroup 1-5 counter'],
  ['meta-random', 'ip', FILTER_IN, 'meta random > 1000 counter'],
  ['meta-ipsec', 'ip', FILTER_IN, 'meta ipsec exists accept'],
  ['meta-ipsec-missing', 'ip6', FILTER_IN, 'meta ipsec missing drop'],
  ['meta-nftrace-set', 'inet', FILTER_IN, 'tcp dport 22 meta nftrace set 1'],
  // nft 1.0.6 cannot read 1:2 inside a one-line chain (its scanner takes it as a time): numbers, listed as 1:2.
  ['meta-priority-set', 'ip', POSTROUTING_MANGLE, 'meta priority set 0x10002'],
  ['meta-priority-set-root', 'ip', POSTROUTING_MANGLE, 'meta priority set root'],
  ['meta-priority-set-none', 'inet', POSTROUTING_MANGLE, 'meta priority set none'],
  ['meta-priority', 'ip', POSTROUTING_MANGLE, 'meta priority 0x1000ff accept'],
  ['meta-priority-anonymous-set', 'ip6', POSTROUTING_MANGLE, 'meta priority { 0x10002, 0x20003 } accept'],
  ['meta-priority-set-map', 'ip', POSTROUTING_MANGLE, 'meta priority set tcp dport map { 22 : 0x10010, 80 : 0x10020 }'],
  ['meta-rtclassid', 'ip', FILTER_IN, 'meta rtclassid 5 accept'],
  ['meta-rtclassid-name', 'ip', FILTER_IN, 'meta rtclassid cosmos accept'],
  ['meta-rtclassid-set', 'ip', FILTER_IN, 'meta rtclassid { 1, 2 } accept'],
  ['meta-priority-named-map', 'ip', POSTROUTING_MANGLE, 'meta priority set ip daddr map @classes', 'map classes { type ipv4_addr : classid; elements = { 192.0.2.1 : 0x10010, 192.0.2.2 : root } }'],
  ['meta-mark-set-pkttype-map', 'inet', FILTER_IN, 'meta mark set meta pkttype map { host : 0x1, broadcast : 0x2 }'],
  ['synproxy', 'inet', FILTER_IN, 'tcp dport 80 ct state invalid,untracked synproxy mss 1460 wscale 7 timestamp sack-perm'],
  ['synproxy-mss', 'ip', FILTER_IN, 'tcp dport 81 synproxy mss 1400'],
  ['synproxy-wscale-sack-perm', 'ip6', FILTER_IN, 'tcp dport 82 synproxy wscale 5 sack-perm'],
  ['synproxy-bare', 'ip', FORWARD_MANGLE, 'tcp dport 83 synproxy'],
  ['synproxy-timestamp', 'inet', FILTER_IN, 'synproxy mss 0 timestamp'],
];

const out = join(import.meta.dirname, '..', 'test', 'fixtures', 'nft');
mkdirSync(out, { recursive: true });
for (const file of readdirSync(out)) if (file.endsWith('.json')) rmSync(join(out, file));

const netns = `record-nft-${process.pid}`;
execFileSync('ip', ['netns', 'add', netns]);
try {
  execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  for (const [name, family, chain, rule, extra, json] of FORMS) {
    const table = `t_${name.replace(/-/g, '_')}`;
    const text = `table ${family} ${table} {\n${extra ? `  ${extra}\n` : ''}  chain c { ${chain} ${rule}; }\n}\n`;
    const load = spawnSync('ip', ['netns', 'exec', netns, 'nft', '-f', '-'], { input: text, encoding: 'utf8' });
    if (load.status !== 0) throw new Error(`${name}: nft -f failed: ${load.stderr}`);
    const listing = JSON.parse(execFileSync('ip', ['netns', 'exec', netns, 'nft', '-j', 'list', 'table', family, table], { encoding: 'utf8' })).nftables;
    const strip = (o) => {
      const { handle, ...rest } = o;
      return rest;
    };
    const rules = listing.filter((o) => o.rule && o.rule.chain === 'c').map((o) => strip(o.rule));
    if (rules.length !== 1) throw new Error(`${name}: expected one rule, got ${rules.length}`);
    const objects = listing.filter((o) => o.set || o.map || o.counter || o.quota).map((o) => Object.fromEntries(Object.entries(o).map(([kind, body]) => [kind, strip(body)])));
    const chains = listing.filter((o) => o.chain && o.chain.name !== 'c').map((o) => ({ chain: strip(o.chain) }));
    const chainObject = strip(listing.find((o) => o.chain && o.chain.name === 'c').chain);
    const fixture = {
      description: `nft: ${rule}`,
      nft: text,
      table: { family, name: table },
      chain: chainObject,
      objects: [...objects, ...chains],
      rule: rules[0],
    };
    if (json !== undefined) {
      // nft lists such a rule with text statements; the fixture keeps that listing beside the
      // JSON, and the golden test compares the kernel's expressions for both.
      if (!rules[0].expr.some((statement) => typeof statement === 'string')) throw new Error(`${name}: nft lists this rule as JSON; record it from the listing`);
      fixture.rule = { ...rules[0], expr: json };
      fixture.nftRule = rules[0];
    }
    writeFileSync(join(out, `${name}.json`), JSON.stringify(fixture, null, 2) + '\n');
    execFileSync('ip', ['netns', 'exec', netns, 'nft', 'delete', 'table', family, table]);
  }
  console.log(`recorded ${FORMS.length} fixtures in ${out}`);
} finally {
  spawnSync('ip', ['netns', 'del', netns]);
}
