/**
 * Bad input is refused before anything is sent, with a ValidationError naming the field path
 * in the caller's document and the value: the ruleset and its generation stay as they were.
 */
import t from 'tap';
import { ValidationError, open, type NftCommand } from '../../src/index.js';
import { makeNetns } from '../helpers/netns.js';

const table = { add: { table: { family: 'ip', name: 't' } } };
const chain = { add: { chain: { family: 'ip', table: 't', name: 'c', type: 'filter', hook: 'input', prio: 0, policy: 'accept' } } };
const rule = (...expr: unknown[]) => ({ add: { rule: { family: 'ip', table: 't', chain: 'c', expr } } });
const match = (left: unknown, right: unknown, op = '==') => ({ match: { op, left, right } });
const saddr = { payload: { protocol: 'ip', field: 'saddr' } };
const setMark = (value: unknown) => ({ mangle: { key: { meta: { key: 'mark' } }, value } });
const tcp = match({ meta: { key: 'l4proto' } }, 'tcp');
const dport = { payload: { protocol: 'tcp', field: 'dport' } };
const addTo = (set: string, elem: unknown = saddr, op = 'add') => ({ set: { op, elem, set } });
const withTimeout = (timeout: unknown, val: unknown = saddr) => ({ elem: { val, timeout } });
const mapTo = (map: string, data: unknown, op = 'update', elem: unknown = saddr) => ({ map: { op, elem, data, map } });
/** Sets and maps in table t that the set and map statements below write to. */
const namedSets = [
  { add: { set: { family: 'ip', table: 't', name: 'seen', type: 'ipv4_addr' } } },
  { add: { set: { family: 'ip', table: 't', name: 'ivl', type: 'ipv4_addr', flags: ['interval'] } } },
  { add: { set: { family: 'ip', table: 't', name: 'cst', type: 'ipv4_addr', flags: ['constant'], elem: ['192.0.2.1'] } } },
  { add: { map: { family: 'ip', table: 't', name: 'sticky', type: 'ipv4_addr', map: 'mark' } } },
  { add: { map: { family: 'ip', table: 't', name: 'vm', type: 'ipv4_addr', map: 'verdict' } } },
];

const CASES: [string, unknown, string, unknown][] = [
  ['a family that does not exist', { add: { table: { family: 'ipv5', name: 't' } } }, 'nftables[2].add.table.family', 'ipv5'],
  ['a bad address', rule(match(saddr, '192.0.2.300'), { accept: null }), 'nftables[2].add.rule.expr[0].match.right', '192.0.2.300'],
  ['an IPv6 address for ip saddr', rule(match(saddr, '2001:db8::1')), 'nftables[2].add.rule.expr[0].match.right', '2001:db8::1'],
  ['a prefix length too long', rule(match(saddr, { prefix: { addr: '10.0.0.0', len: 33 } })), 'nftables[2].add.rule.expr[0].match.right.prefix.len', 33],
  ['a port out of range', rule(match({ payload: { protocol: 'tcp', field: 'dport' } }, 70000)), 'nftables[2].add.rule.expr[0].match.right', 70000],
  ['an unknown header field', rule(match({ payload: { protocol: 'tcp', field: 'dprt' } }, 22)), 'nftables[2].add.rule.expr[0].match.left.payload.field', 'dprt'],
  ['an unknown meta key', rule(match({ meta: { key: 'markk' } }, 1)), 'nftables[2].add.rule.expr[0].match.left.meta.key', 'markk'],
  ['a negative mark', rule({ mangle: { key: { meta: { key: 'mark' } }, value: -1 } }), 'nftables[2].add.rule.expr[0].mangle.value', -1],
  ['a mangle of an unsupported key', rule({ mangle: { key: { meta: { key: 'iif' } }, value: 1 } }), 'nftables[2].add.rule.expr[0].mangle.key.meta.key', 'iif'],
  ['an unknown statement', rule({ quux: null }), 'nftables[2].add.rule.expr[0]', { quux: null }],
  ['log level and group together', rule({ log: { level: 'info', group: 2 } }), 'nftables[2].add.rule.expr[0].log.level', 'info'],
  ['an unknown log level', rule({ log: { level: 'loud' } }), 'nftables[2].add.rule.expr[0].log.level', 'loud'],
  ['snat without an address', rule({ snat: { port: 80 } }), 'nftables[2].add.rule.expr[0].snat.addr', undefined],
  ['an unknown NAT flag', rule({ snat: { addr: '192.0.2.1', flags: 'sticky' } }), 'nftables[2].add.rule.expr[0].snat.flags', 'sticky'],
  ['a range upside down', rule(match({ payload: { protocol: 'tcp', field: 'dport' } }, { range: [100, 10] })), 'nftables[2].add.rule.expr[0].match.right.range', [100, 10]],
  ['"!" on a value that is not flags', rule(match({ meta: { key: 'mark' } }, 1, '!')), 'nftables[2].add.rule.expr[0].match.op', '!'],
  ['a ct status that does not exist', rule(match({ ct: { key: 'status' } }, 'sleepy', '!')), 'nftables[2].add.rule.expr[0].match.right', 'sleepy'],
  ['ct original ip daddr without its direction', rule(match({ ct: { key: 'ip daddr' } }, '192.0.2.1')), 'nftables[2].add.rule.expr[0].match.left.ct.dir', undefined],
  ['a direction on a ct key that has none', rule(match({ ct: { key: 'mark', dir: 'original' } }, 1)), 'nftables[2].add.rule.expr[0].match.left.ct.dir', 'original'],
  ['a ct state that does not exist', rule(match({ ct: { key: 'state' } }, ['established', 'eternal'], 'in')), 'nftables[2].add.rule.expr[0].match.right[1]', 'eternal'],
  ['ip6 fields in an ip table', rule(match({ payload: { protocol: 'ip6', field: 'saddr' } }, '2001:db8::1')), 'nftables[2].add.rule.expr[0].match.left.payload.protocol', 'ip6'],
  ['a limit without rate', rule({ limit: { per: 'second' } }), 'nftables[2].add.rule.expr[0].limit.rate', undefined],
  ['a set of an unknown type', { add: { set: { family: 'ip', table: 't', name: 's', type: 'ipv4_address' } } }, 'nftables[2].add.set.type', 'ipv4_address'],
  ['a set element of the wrong type', { add: { set: { family: 'ip', table: 't', name: 's', type: 'inet_service', elem: [22, 'ssh-ish'] } } }, 'nftables[2].add.set.elem[1]', 'ssh-ish'],
  ['overlapping intervals', { add: { set: { family: 'ip', table: 't', name: 's', type: 'ipv4_addr', flags: ['interval'], elem: [{ prefix: { addr: '10.0.0.0', len: 8 } }, '10.1.2.3'] } } }, 'nftables[2].add.set.elem[1]', '10.1.2.3'],
  ['a map element without its value', { add: { map: { family: 'ip', table: 't', name: 'm', type: 'ipv4_addr', map: 'mark', elem: [['192.0.2.1', 1], '192.0.2.2'] } } }, 'nftables[2].add.map.elem[1]', '192.0.2.2'],
  ['a chain hook that does not exist', { add: { chain: { family: 'ip', table: 't', name: 'd', type: 'filter', hook: 'inbound', prio: 0 } } }, 'nftables[2].add.chain.hook', 'inbound'],
  ['delete rule without handle', { delete: { rule: { family: 'ip', table: 't', chain: 'c' } } }, 'nftables[2].delete.rule.handle', undefined],
  ['a rule property that does not exist', { add: { rule: { family: 'ip', table: 't', chain: 'c', expr: [{ accept: null }], coment: 'x' } } }, 'nftables[2].add.rule.coment', 'x'],
  ['an unknown command', { lsit: { ruleset: null } }, 'nftables[2]', { lsit: { ruleset: null } }],
  ['an unknown tcp option', rule(match({ 'tcp option': { name: 'maxsegg', field: 'size' } }, 1400)), 'nftables[2].add.rule.expr[0].match.left.tcp option.name', 'maxsegg'],
  ['an unknown tcp option field', rule(match({ 'tcp option': { name: 'maxseg', field: 'mss' } }, 1400)), 'nftables[2].add.rule.expr[0].match.left.tcp option.field', 'mss'],
  ['an MSS out of range', rule({ mangle: { key: { 'tcp option': { name: 'maxseg', field: 'size' } }, value: 70000 } }), 'nftables[2].add.rule.expr[0].mangle.value', 70000],
  ['setting a 1-byte option field', rule({ mangle: { key: { 'tcp option': { name: 'window', field: 'count' } }, value: 7 } }), 'nftables[2].add.rule.expr[0].mangle.key.tcp option.field', 'count'],
  ['setting an option without a field', rule({ mangle: { key: { 'tcp option': { name: 'maxseg' } }, value: 1400 } }), 'nftables[2].add.rule.expr[0].mangle.key.tcp option.field', undefined],
  ['a quota without a value', rule({ quota: { val_unit: 'mbytes' } }), 'nftables[2].add.rule.expr[0].quota.val', undefined],
  ['a quota in gbytes (nft has no such unit)', rule({ quota: { val: 1, val_unit: 'gbytes' } }), 'nftables[2].add.rule.expr[0].quota.val_unit', 'gbytes'],
  ['a negative quota', rule({ quota: { val: -1 } }), 'nftables[2].add.rule.expr[0].quota.val', -1],
  ['a quota named by an empty string', rule({ quota: '' }), 'nftables[2].add.rule.expr[0].quota', ''],
  ['a counter named by 256 bytes', rule({ counter: 'c'.repeat(256) }), 'nftables[2].add.rule.expr[0].counter', 'c'.repeat(256)],
  ['a counter object without a name', { add: { counter: { family: 'ip', table: 't' } } }, 'nftables[2].add.counter.name', undefined],
  ['a counter object with negative packets', { add: { counter: { family: 'ip', table: 't', name: 'c', packets: -1 } } }, 'nftables[2].add.counter.packets', -1],
  ['a counter object with an unknown property', { add: { counter: { family: 'ip', table: 't', name: 'c', used: 1 } } }, 'nftables[2].add.counter.used', 1],
  ['a quota object without bytes', { add: { quota: { family: 'ip', table: 't', name: 'q' } } }, 'nftables[2].add.quota.bytes', undefined],
  ['a quota object in the statement form', { add: { quota: { family: 'ip', table: 't', name: 'q', val: 10, val_unit: 'mbytes' } } }, 'nftables[2].add.quota.val', 10],
  ['a quota object with inv as a string', { add: { quota: { family: 'ip', table: 't', name: 'q', bytes: 100, inv: 'over' } } }, 'nftables[2].add.quota.inv', 'over'],
  ['a quota object with used above 2^53', { add: { quota: { family: 'ip', table: 't', name: 'q', bytes: 100, used: 2 ** 60 } } }, 'nftables[2].add.quota.used', 2 ** 60],
  ['a counter object with a comment of 200 bytes', { create: { counter: { family: 'ip', table: 't', name: 'c', comment: 'x'.repeat(200) } } }, 'nftables[2].create.counter.comment', 'x'.repeat(200)],
  ['a counter flushed', { flush: { counter: { family: 'ip', table: 't', name: 'c' } } }, 'nftables[2].flush', { counter: { family: 'ip', table: 't', name: 'c' } }],
  ['a counter deleted without a name or handle', { delete: { counter: { family: 'ip', table: 't' } } }, 'nftables[2].delete.counter.name', undefined],
  ['a reset in a transaction', { reset: { counter: { family: 'ip', table: 't', name: 'c' } } }, 'nftables[2]', { reset: { counter: { family: 'ip', table: 't', name: 'c' } } }],
  ['an unknown quota property', rule({ quota: { val: 1, over: true } }), 'nftables[2].add.rule.expr[0].quota.over', true],
  ['notrack with a body', rule({ notrack: {} }), 'nftables[2].add.rule.expr[0].notrack', {}],
  ['a ct zone above 65535', rule({ mangle: { key: { ct: { key: 'zone' } }, value: 65536 } }), 'nftables[2].add.rule.expr[0].mangle.value', 65536],
  ['setting the ct state', rule({ mangle: { key: { ct: { key: 'state' } }, value: 1 } }), 'nftables[2].add.rule.expr[0].mangle.key.ct.key', 'state'],
  ['a numgen without a mode', rule(setMark({ numgen: { mod: 2 } })), 'nftables[2].add.rule.expr[0].mangle.value.numgen.mode', undefined],
  ['an unknown numgen mode', rule(setMark({ numgen: { mode: 'roundrobin', mod: 2 } })), 'nftables[2].add.rule.expr[0].mangle.value.numgen.mode', 'roundrobin'],
  ['a numgen modulo 0', rule(setMark({ numgen: { mode: 'inc', mod: 0 } })), 'nftables[2].add.rule.expr[0].mangle.value.numgen.mod', 0],
  ['a numgen that wraps past 32 bits', rule(setMark({ numgen: { mode: 'inc', mod: 2, offset: 0xffffffff } })), 'nftables[2].add.rule.expr[0].mangle.value.numgen.offset', 0xffffffff],
  ['a numgen with a seed', rule(setMark({ numgen: { mode: 'random', mod: 2, seed: 1 } })), 'nftables[2].add.rule.expr[0].mangle.value.numgen.seed', 1],
  ['a jhash of nothing', rule(setMark({ jhash: { mod: 2 } })), 'nftables[2].add.rule.expr[0].mangle.value.jhash.expr', undefined],
  ['a jhash of an unknown field', rule(setMark({ jhash: { mod: 2, expr: { payload: { protocol: 'ip', field: 'src' } } } })), 'nftables[2].add.rule.expr[0].mangle.value.jhash.expr.payload.field', 'src'],
  ['a negative jhash seed', rule(setMark({ jhash: { mod: 2, expr: saddr, seed: -1 } })), 'nftables[2].add.rule.expr[0].mangle.value.jhash.seed', -1],
  ['a symhash with a seed', rule(setMark({ symhash: { mod: 2, seed: 1 } })), 'nftables[2].add.rule.expr[0].mangle.value.symhash.seed', 1],
  ['a jhash inside a concatenation', rule(match({ concat: [saddr, { jhash: { mod: 2, expr: saddr } }] }, '@pairs')), 'nftables[2].add.rule.expr[0].match.left.concat[1].jhash', { mod: 2, expr: saddr }],
  ['a 2-byte ct zone set from a 4-byte numgen', rule({ mangle: { key: { ct: { key: 'zone' } }, value: { numgen: { mode: 'inc', mod: 2 } } } }), 'nftables[2].add.rule.expr[0].mangle.value', { numgen: { mode: 'inc', mod: 2 } }],
  ['socket cgroupv2', rule(match({ socket: { key: 'cgroupv2' } }, 1)), 'nftables[2].add.rule.expr[0].match.left.socket.key', 'cgroupv2'],
  ['a socket level', rule(match({ socket: { key: 'mark', level: 1 } }, 1)), 'nftables[2].add.rule.expr[0].match.left.socket.level', 1],
  ['socket transparent 2', rule(match({ socket: { key: 'transparent' } }, 2)), 'nftables[2].add.rule.expr[0].match.right', 2],
  ['tproxy without a transport protocol match', rule({ tproxy: { port: 8080 } }), 'nftables[2].add.rule.expr[0].tproxy', { port: 8080 }],
  ['tproxy to nowhere', rule(tcp, { tproxy: {} }), 'nftables[2].add.rule.expr[1].tproxy', {}],
  ['tproxy ip6 in an ip table', rule(tcp, { tproxy: { family: 'ip6', addr: '::1' } }), 'nftables[2].add.rule.expr[1].tproxy.family', 'ip6'],
  ['tproxy to a port range', rule(tcp, { tproxy: { port: { range: [80, 81] } } }), 'nftables[2].add.rule.expr[1].tproxy.port', { range: [80, 81] }],
  ['tproxy to a prefix', rule(tcp, { tproxy: { addr: { prefix: { addr: '192.0.2.0', len: 24 } } } }), 'nftables[2].add.rule.expr[1].tproxy.addr', { prefix: { addr: '192.0.2.0', len: 24 } }],
  ['tproxy to a bad address', rule(tcp, { tproxy: { addr: '192.0.2.300', port: 80 } }), 'nftables[2].add.rule.expr[1].tproxy.addr', '192.0.2.300'],
  ['an unknown tproxy property', rule(tcp, { tproxy: { port: 80, mark: 1 } }), 'nftables[2].add.rule.expr[1].tproxy.mark', 1],
  ['an unknown rt key', rule({ mangle: { key: { 'tcp option': { name: 'maxseg', field: 'size' } }, value: { rt: { key: 'mss' } } } }), 'nftables[2].add.rule.expr[0].mangle.value.rt.key', 'mss'],
  ['a mark set from an address', rule({ mangle: { key: { meta: { key: 'mark' } }, value: saddr } }), 'nftables[2].add.rule.expr[0].mangle.value', saddr],
  ['a fib lookup by both addresses', rule(match({ fib: { result: 'oif', flags: ['saddr', 'daddr'] } }, false)), 'nftables[2].add.rule.expr[0].match.left.fib.flags', ['saddr', 'daddr']],
  ['a fib lookup by iif and oif', rule(match({ fib: { result: 'oif', flags: ['saddr', 'iif', 'oif'] } }, false)), 'nftables[2].add.rule.expr[0].match.left.fib.flags', ['saddr', 'iif', 'oif']],
  ['an unknown fib result', rule(match({ fib: { result: 'gateway', flags: ['daddr'] } }, '192.0.2.1')), 'nftables[2].add.rule.expr[0].match.left.fib.result', 'gateway'],
  ['an unknown address type', rule(match({ fib: { result: 'type', flags: ['daddr'] } }, 'remote')), 'nftables[2].add.rule.expr[0].match.right', 'remote'],
  ['fib oif by oif', rule(match({ fib: { result: 'oif', flags: ['daddr', 'oif'] } }, 'lo')), 'nftables[2].add.rule.expr[0].match.left.fib.flags', ['daddr', 'oif']],
  ['fib oifname exists', rule(match({ fib: { result: 'oifname', flags: ['saddr', 'iif'] } }, true)), 'nftables[2].add.rule.expr[0].match.right', true],
  ['a boolean ordered', rule(match({ 'tcp option': { name: 'sack-perm' } }, true, '<')), 'nftables[2].add.rule.expr[0].match.right', true],
  ['fib type exists', rule(match({ fib: { result: 'type', flags: ['daddr'] } }, true)), 'nftables[2].add.rule.expr[0].match.right', true],
  ['iif of an interface that does not exist', rule(match({ meta: { key: 'iif' } }, 'nope0'), { accept: null }), 'nftables[2].add.rule.expr[0].match.right', 'nope0'],
  ['an unknown set statement op', rule({ set: { op: 'insert', elem: saddr, set: '@seen' } }), 'nftables[2].add.rule.expr[0].set.op', 'insert'],
  ['a set named without @', rule(addTo('seen')), 'nftables[2].add.rule.expr[0].set.set', 'seen'],
  ['a set statement without a set', rule({ set: { op: 'add', elem: saddr } }), 'nftables[2].add.rule.expr[0].set.set', undefined],
  ['a timeout on a set without the timeout flag', rule(addTo('@seen', withTimeout(30), 'update')), 'nftables[2].add.rule.expr[0].set.elem.elem.timeout', 30],
  ['a timeout of 1.5 seconds', rule(addTo('@seen', withTimeout(1.5))), 'nftables[2].add.rule.expr[0].set.elem.elem.timeout', 1.5],
  ['a timeout of 0', rule(addTo('@seen', withTimeout(0))), 'nftables[2].add.rule.expr[0].set.elem.elem.timeout', 0],
  ['a comment on an element written by a rule', rule(addTo('@seen', { elem: { val: saddr, comment: 'x' } })), 'nftables[2].add.rule.expr[0].set.elem.elem.comment', 'x'],
  ['a port into a set of addresses', rule(addTo('@seen', dport)), 'nftables[2].add.rule.expr[0].set.elem', dport],
  ['a constant element', rule(addTo('@seen', '192.0.2.1')), 'nftables[2].add.rule.expr[0].set.elem', '192.0.2.1'],
  ['a set statement without an element', rule({ set: { op: 'add', set: '@seen' } }), 'nftables[2].add.rule.expr[0].set.elem', undefined],
  ['a counter in a set statement', rule({ set: { op: 'add', elem: saddr, set: '@seen', stmt: [{ counter: null }] } }), 'nftables[2].add.rule.expr[0].set.stmt', [{ counter: null }]],
  ['a set statement on a map', rule(addTo('@sticky')), 'nftables[2].add.rule.expr[0].set.set', '@sticky'],
  ['a set statement on an interval set', rule(addTo('@ivl')), 'nftables[2].add.rule.expr[0].set.set', '@ivl'],
  ['a set statement on a constant set', rule(addTo('@cst')), 'nftables[2].add.rule.expr[0].set.set', '@cst'],
  ['a map statement on a set', rule(mapTo('@seen', 1)), 'nftables[2].add.rule.expr[0].map.map', '@seen'],
  ['a map statement deleting', rule(mapTo('@sticky', 1, 'delete')), 'nftables[2].add.rule.expr[0].map.op', 'delete'],
  ['a map statement without a value', rule({ map: { op: 'add', elem: saddr, map: '@sticky' } }), 'nftables[2].add.rule.expr[0].map.data', undefined],
  ['a map value of the wrong type', rule(mapTo('@sticky', '192.0.2.1')), 'nftables[2].add.rule.expr[0].map.data', '192.0.2.1'],
  ['a map statement on a verdict map', rule(mapTo('@vm', { accept: null })), 'nftables[2].add.rule.expr[0].map.map', '@vm'],
  ['a map named without @', rule(mapTo('sticky', 1)), 'nftables[2].add.rule.expr[0].map.map', 'sticky'],
  ['ct count without a count', rule({ 'ct count': { inv: true } }), 'nftables[2].add.rule.expr[0].ct count.val', undefined],
  ['a negative ct count', rule({ 'ct count': { val: -1 } }), 'nftables[2].add.rule.expr[0].ct count.val', -1],
  ['a ct count above 32 bits', rule({ 'ct count': { val: 2 ** 32 } }), 'nftables[2].add.rule.expr[0].ct count.val', 2 ** 32],
  ['a ct count as a string', rule({ 'ct count': { val: '4' } }), 'nftables[2].add.rule.expr[0].ct count.val', '4'],
  ['ct count inv as a string', rule({ 'ct count': { val: 4, inv: 'yes' } }), 'nftables[2].add.rule.expr[0].ct count.inv', 'yes'],
  ['an unknown ct count property', rule({ 'ct count': { val: 4, over: true } }), 'nftables[2].add.rule.expr[0].ct count.over', true],
  ['ct count as a number', rule({ 'ct count': 4 }), 'nftables[2].add.rule.expr[0].ct count', 4],
  ['dup without an address', rule({ dup: { dev: 'lo' } }), 'nftables[2].add.rule.expr[0].dup.addr', undefined],
  ['dup to an IPv6 address in an ip table', rule({ dup: { addr: '2001:db8::1' } }), 'nftables[2].add.rule.expr[0].dup.addr', '2001:db8::1'],
  ['dup to a prefix', rule({ dup: { addr: '192.0.2.0/24' } }), 'nftables[2].add.rule.expr[0].dup.addr', '192.0.2.0/24'],
  ['dup to an address map', rule({ dup: { addr: { map: { key: saddr, data: { set: [['192.0.2.1', '192.0.2.2']] } } } } }), 'nftables[2].add.rule.expr[0].dup.addr', { map: { key: saddr, data: { set: [['192.0.2.1', '192.0.2.2']] } } }],
  ['dup by an interface that does not exist', rule({ dup: { addr: '192.0.2.1', dev: 'nope0' } }), 'nftables[2].add.rule.expr[0].dup.dev', 'nope0'],
  ['dup by an interface given as true', rule({ dup: { addr: '192.0.2.1', dev: true } }), 'nftables[2].add.rule.expr[0].dup.dev', true],
  ['an unknown dup property', rule({ dup: { addr: '192.0.2.1', device: 'lo' } }), 'nftables[2].add.rule.expr[0].dup.device', 'lo'],
  ['dup in an inet table', { add: { rule: { family: 'inet', table: 'i', chain: 'c', expr: [{ dup: { addr: '192.0.2.1' } }] } } }, 'nftables[2].add.rule.expr[0].dup', { addr: '192.0.2.1' }],
];

t.test('bad input: ValidationError with the field path and value; nothing sent', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  await handle.nft.apply([table, chain, ...namedSets] as NftCommand[]);
  const before = ns.exec('nft', ['-j', 'list', 'ruleset']);
  const generation = await handle.nft.generation();
  for (const [what, command, field, value] of CASES) {
    // Valid commands come first: nothing of them may be applied either.
    const document = { nftables: [rule({ accept: null }), { add: { table: { family: 'inet', name: 'also_new' } } }, command] };
    const error = await handle.nft.apply(document as never).catch((e: unknown) => e);
    t.type(error, ValidationError, what);
    t.match(error, { field, code: 'ERR_ROUTEMARK_INVALID' }, `${what}: names ${field}`);
    t.same((error as ValidationError).value, value, `${what}: carries the value`);
  }
  t.equal(ns.exec('nft', ['-j', 'list', 'ruleset']), before, 'the ruleset is as it was');
  t.equal(await handle.nft.generation(), generation, 'and no transaction was committed');
});

t.test('a set statement is checked against the definition the same document gives its set', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  await handle.nft.apply([table, chain] as NftCommand[]);
  const before = ns.exec('nft', ['-j', 'list', 'ruleset']);
  const plain = { add: { set: { family: 'ip', table: 't', name: 'plain', type: 'ipv4_addr' } } };
  const error = await handle.nft.apply([plain, rule(addTo('@plain', withTimeout(60), 'update'))] as never).catch((e: unknown) => e);
  t.type(error, ValidationError);
  t.match(error, { field: 'commands[1].add.rule.expr[0].set.elem.elem.timeout', value: 60 });
  t.match((error as Error).message, /plain has no timeout flag/);
  const ok = await handle.nft.apply([{ add: { set: { family: 'ip', table: 't', name: 'plain', type: 'ipv4_addr', flags: ['timeout'] } } }, rule(addTo('@plain', withTimeout(60), 'update'))] as never);
  t.ok(ok, 'with the timeout flag it is applied');
  t.not(ns.exec('nft', ['-j', 'list', 'ruleset']), before);
});

t.test('reset: bad input is a ValidationError naming the field, before anything is sent', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  const cases: [string, unknown, string, unknown][] = [
    ['an object type routemark does not reset', { limit: { family: 'ip', table: 't', name: 'l' } }, 'objects', { limit: { family: 'ip', table: 't', name: 'l' } }],
    ['a misspelt property', { counter: { family: 'ip', table: 't', nme: 'c' } }, 'objects.counter.nme', 'c'],
    ['no table', { quota: { family: 'ip', name: 'q' } }, 'objects.quota.table', undefined],
    ['a family that does not exist', { counter: { family: 'ipv5', table: 't' } }, 'objects.counter.family', 'ipv5'],
  ];
  for (const [what, objects, field, value] of cases) {
    const error = await handle.nft.reset(objects as never).catch((e: unknown) => e);
    t.type(error, ValidationError, what);
    t.match(error, { field }, `${what}: names ${field}`);
    t.same((error as ValidationError).value, value, `${what}: carries the value`);
  }
});
