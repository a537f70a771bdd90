/**
 * Edge cases of policy rules (src/rtnl/rules.ts, rule-api.ts, the rule part of fast.ts) against
 * the real `ip` (iproute2 6.1) on kernel 6.18. Each test is witnessed by `ip -j rule` (or
 * `ip -d rule` where the JSON leaves a detail out), never by routemark's own encoder.
 *
 * The tests before "Paths no other test covers" found bugs, since fixed (realms, IPv4
 * suppress_prefixlength above 32, values the kernel stores as no selector, the tos/dscp and
 * 0.0.0.0/0 duplicate checks, a flush whose delete took another rule); each explains what the
 * kernel and `ip` do, and failed before the fix.
 */
import t from 'tap';
import { ValidationError, type Rule } from '../../src/index.js';
import type { TestNetns } from '../helpers/netns.js';
import { freshHandle, ipFails, oneByOne, rejection, withoutEmpty } from './helpers.js';

type Json = Record<string, unknown>;

/** `ip -j rule` of a family, without the three default rules, empty arrays dropped. */
function rules(ns: TestNetns, family: 4 | 6 = 4): Json[] {
  return ns
    .ipJson<Json[]>(`-${family}`, 'rule')
    .map(withoutEmpty)
    .filter((r) => !(r.priority === 0 && r.table === 'local') && r.priority !== 32766 && r.priority !== 32767);
}

/** The rules at one priority, as `ip -j rule` shows them. */
function at(ns: TestNetns, priority: number, family: 4 | 6 = 4): Json[] {
  return rules(ns, family).filter((r) => r.priority === priority);
}

// ---------------------------------------------------------------------------------------------
// realms (FRA_FLOW). `ip rule add ... realms 2` sets the rule's tclassid, which the kernel dumps
// as FRA_FLOW and compares on delete (fib4_rule_compare: `if (tb[FRA_FLOW] && rule4->tclassid !=
// nla_get_u32(tb[FRA_FLOW])) return 0`) and on add (rule_exists -> compare): two rules differing
// only in realms coexist:
//   ip rule add pref 100 realms 2 table 5; ip rule add pref 100 realms 3 table 5   (both succeed)
//   ip -j rule -> {"priority":100,...,"table":"5","flow_to":"2"}, {..."flow_to":"3"}
// decodeRule reads no FRA_FLOW and Rule has no field for it, so both are listed as the same
// object, and the listed object of the second deletes the first (the kernel takes the first rule
// that matches the fields given). A listed realms rule added back loses its realms.
// ---------------------------------------------------------------------------------------------

t.test('a rule with realms (FRA_FLOW) is listed without them: its listed object deletes its neighbour', async (t) => {
  const { ns, handle } = await freshHandle(t);
  ns.ip('rule', 'add', 'pref', '100', 'realms', '2', 'table', '5');
  ns.ip('rule', 'add', 'pref', '100', 'realms', '3', 'table', '5');
  t.same(at(ns, 100).map((r) => r.flow_to), ['2', '3'], 'ip: two rules, realms 2 and 3');
  const listed = await handle.rules.list({ priority: 100 });
  t.equal(listed.length, 2);
  t.not(JSON.stringify(listed[0]), JSON.stringify(listed[1]), 'the two rules are listed as two different objects');
  await handle.rules.delete(listed[1]!);
  t.same(at(ns, 100).map((r) => r.flow_to), ['2'], 'deleting the second listed rule deletes realms 3, not realms 2');
});

t.test('a listed rule with realms added back keeps its realms', async (t) => {
  const { ns, handle } = await freshHandle(t);
  ns.ip('rule', 'add', 'pref', '101', 'from', '192.0.2.0/24', 'realms', '7/9', 'table', '5');
  const before = at(ns, 101);
  t.match(before, [{ flow_from: '7', flow_to: '9' }], 'ip: realms 7/9');
  const [listed] = await handle.rules.list({ priority: 101 });
  await handle.rules.delete(listed!);
  t.same(at(ns, 101), [], 'deleted');
  await handle.rules.add(listed!);
  t.same(at(ns, 101), before, 'ip shows the same rule again, realms included');
});

// ---------------------------------------------------------------------------------------------
// suppress_prefixlength above 32 on IPv4. ip and the kernel take any int (the kernel keeps
// suppress_prefixlen as an int, -1 for none, and fib4_rule_suppress() compares it with <=):
//   ip rule add pref 106 table 5 suppress_prefixlength 64  -> ok
//   ip -j rule -> {"priority":106,"src":"all","table":"5","suppress_prefixlen":64}
// resolveRule refuses 33..128 for IPv4 (rules.ts, `family === 4 ? 32 : 128`), and ensure() and
// addMany()'s duplicate check run every dumped rule through resolveRule: a rule that ip made (or
// any other tool) makes them throw a ValidationError about 'existing.suppressPrefixLength'
// before anything is sent, for an unrelated rule.
// ---------------------------------------------------------------------------------------------

t.test('ensure() is not broken by an IPv4 rule ip made with suppress_prefixlength 64', async (t) => {
  const { ns, handle } = await freshHandle(t);
  ns.ip('rule', 'add', 'pref', '106', 'table', '5', 'suppress_prefixlength', '64');
  t.match(at(ns, 106), [{ suppress_prefixlen: 64 }], 'ip and the kernel accept it');
  const error = await rejection(() => handle.rules.ensure({ fwmark: 1, priority: 200, table: 6 }));
  t.equal(error, undefined, `ensure of an unrelated rule resolves (got ${String(error)})`);
  t.same(at(ns, 200), [{ priority: 200, src: 'all', fwmark: '0x1', table: '6' }], 'and the rule is there');
});

t.test('addMany() is not broken by an IPv4 rule ip made with suppress_prefixlength 64', async (t) => {
  const { ns, handle } = await freshHandle(t);
  ns.ip('rule', 'add', 'pref', '106', 'table', '5', 'suppress_prefixlength', '64');
  // priority 106 is shared with the existing rule, so addMany checks duplicates against the dump
  const error = await rejection(() => handle.rules.addMany([{ fwmark: 1, priority: 106, table: 6 }]));
  t.equal(error, undefined, `addMany resolves (got ${String(error)})`);
  t.equal(at(ns, 106).length, 2, 'ip: both rules at 106');
});

t.test('a listed IPv4 rule with suppress_prefixlength 64 can be deleted and added back', async (t) => {
  const { ns, handle } = await freshHandle(t);
  ns.ip('rule', 'add', 'pref', '107', 'table', '5', 'suppress_prefixlength', '64');
  const before = at(ns, 107);
  const [listed] = await handle.rules.list({ priority: 107 });
  t.match(listed, { suppressPrefixLength: 64 }, 'listed with its suppress_prefixlength');
  const deleteError = await rejection(() => handle.rules.delete(listed!));
  t.equal(deleteError, undefined, `delete of the listed rule resolves (got ${String(deleteError)})`);
  t.same(at(ns, 107), [], 'ip: deleted');
  if (at(ns, 107).length > 0) ns.ip('rule', 'del', 'pref', '107'); // start again from nothing
  const addError = await rejection(() => handle.rules.add(listed!));
  t.equal(addError, undefined, `add of the listed rule resolves (got ${String(addError)})`);
  t.same(at(ns, 107), before, 'ip shows the same rule again');
});

// ---------------------------------------------------------------------------------------------
// Values that the kernel stores as "no selector": fwmark 0 without a mask (mark 0, mask 0),
// ipproto 0, from/to 0.0.0.0/0 (src_len 0: the address is not kept). ip sends them and the
// kernel takes the rule as the plain one:
//   ip rule add pref 101 table 5
//   ip rule add pref 101 from 0.0.0.0/0 table 5   -> RTNETLINK answers: File exists
//   ip rule add pref 101 from all table 5         -> RTNETLINK answers: File exists
//   ip rule add pref 104 fwmark 0 table 5; ip rule add pref 103 ipproto 0 table 5
//   ip -j rule -> {"priority":104,"src":"all","table":"5"}  (no fwmark, no ipproto)
// ensure() compares ruleIdentity(wanted) (fwmark 0, ipproto 0, from 00000000/0) with the dumped
// rule (none of them), finds no match, gets EEXIST from the kernel and then adds the rule again
// without NLM_F_EXCL: every ensure() adds one more copy of the same rule.
// ---------------------------------------------------------------------------------------------

const noSelector: [string, Rule, number][] = [
  ['fwmark 0 without a mask', { fwmark: 0, priority: 300, table: 5 }, 300],
  ['ipproto 0', { ipproto: 0, priority: 301, table: 5 }, 301],
  ['from 0.0.0.0/0', { from: '0.0.0.0/0', priority: 302, table: 5 }, 302],
  ['to ::/0', { to: '::/0', priority: 303, table: 5 }, 303],
];

for (const [name, rule, priority] of noSelector) {
  t.test(`ensure() twice of a rule with ${name} (no selector to the kernel) adds it once`, async (t) => {
    const { ns, handle } = await freshHandle(t);
    const family = rule.to?.includes(':') ? 6 : 4;
    t.equal(await handle.rules.ensure(rule), true, 'the first ensure adds');
    t.same(at(ns, priority, family), [{ priority, src: 'all', table: '5' }], 'ip: the plain rule');
    const again = await handle.rules.ensure(rule);
    t.equal(at(ns, priority, family).length, 1, 'ip: still one rule after the second ensure');
    t.equal(again, false, 'the second ensure finds it');
  });
}

// ---------------------------------------------------------------------------------------------
// addMany's own duplicate check (used when an item's priority is shared) must say what the
// kernel's rule_exists() + fib4_rule_compare() say:
// - `from 0.0.0.0/0`: compare() only looks at the source when src_len is not 0, so the kernel
//   refuses it next to the plain rule (ip: "File exists", above). ruleShadows compares the
//   candidate's prefix key (00000000/0) with the existing rule's ('') and says "no duplicate";
//   addMany then sends it without NLM_F_EXCL and the kernel adds a second copy, where add()
//   one by one gets EEXIST.
// ---------------------------------------------------------------------------------------------

t.test('addMany of from 0.0.0.0/0 next to the same plain rule is EEXIST, as add() is', async (t) => {
  const { ns, handle } = await freshHandle(t);
  ns.ip('rule', 'add', 'pref', '400', 'table', '5');
  t.match(ipFails(ns, 'rule', 'add', 'pref', '400', 'from', '0.0.0.0/0', 'table', '5'), /File exists/, 'ip: File exists');
  const items: Rule[] = [{ from: '0.0.0.0/0', priority: 400, table: 5 }, { family: 'inet6', to: '::/0', priority: 400, table: 5 }];
  ns.ip('-6', 'rule', 'add', 'pref', '400', 'table', '5');
  const one = await oneByOne(items, (r) => handle.rules.add(r));
  t.same(one, ['EEXIST', 'EEXIST'], 'add() one by one: EEXIST (the kernel)');
  const result = await handle.rules.addMany(items);
  t.same(result.errors.map((e) => e?.code), ['EEXIST', 'EEXIST'], 'addMany: EEXIST too');
  t.equal(at(ns, 400, 4).length, 1, 'ip -4: one rule at 400');
  t.equal(at(ns, 400, 6).length, 1, 'ip -6: one rule at 400');
});

// ---------------------------------------------------------------------------------------------
// tos next to dscp. A rule added with FRA_DSCP keeps dscp_full, and fib4_rule_compare() never
// takes a tos rule for it: `if (frh->tos && (rule4->dscp_full || dscp_to_dsfield(rule4->dscp)
// != frh->tos)) return 0`. So after routemark's { dscp: 4, priority: 500, table: 20 } (iproute2
// 6.1 cannot send FRA_DSCP):
//   ip rule add pref 500 tos 0x10 table 20   -> ok, two rules at 500 (tos 0x10 and dscp 4)
// ruleShadows compares `existing.dscp << 2` (0x10) with the candidate's tos and calls them
// duplicates: addMany answers EEXIST without sending, where add() one by one adds it.
// ---------------------------------------------------------------------------------------------

t.test('addMany of a tos rule next to the dscp rule of the same value adds it, as add() and ip do', async (t) => {
  const { ns, handle } = await freshHandle(t);
  await handle.rules.add({ dscp: 4, priority: 500, table: 20 });
  await handle.rules.add({ family: 'inet6', dscp: 4, priority: 500, table: 20 });
  // ip shows a dscp rule as a plain one (6.1 knows no FRA_DSCP); ip -d neither.
  t.equal(at(ns, 500).length, 1, 'ip: one rule at 500');
  t.equal(ipFails(ns, 'rule', 'add', 'pref', '500', 'tos', '0x10', 'table', '20'), undefined, 'ip rule add pref 500 tos 0x10 table 20: accepted');
  t.equal(ipFails(ns, '-6', 'rule', 'add', 'pref', '500', 'tos', '0x10', 'table', '20'), undefined, 'ip -6 too');
  t.equal(at(ns, 500).length, 2, 'ip: two rules at 500');
  ns.ip('rule', 'del', 'pref', '500', 'tos', '0x10');
  ns.ip('-6', 'rule', 'del', 'pref', '500', 'tos', '0x10');
  t.match(at(ns, 500), [{ priority: 500 }], 'back to the dscp rule alone');
  t.notOk(at(ns, 500)[0]!.tos, 'the tos rule is the one ip deleted');

  const items: Rule[] = [{ tos: 0x10, priority: 500, table: 20 }, { family: 'inet6', tos: 0x10, priority: 500, table: 20 }];
  const result = await handle.rules.addMany(items);
  t.same(result.errors.map((e) => e?.code), [undefined, undefined], 'addMany adds both');
  t.same(at(ns, 500).map((r) => r.tos), [undefined, '0x10'], 'ip -4: the dscp rule, then tos 0x10');
  t.same(at(ns, 500, 6).map((r) => r.tos), [undefined, '0x10'], 'ip -6: the dscp rule, then tos 0x10');
});

// ---------------------------------------------------------------------------------------------
// flush({ protocol: 0 }). The kernel's rule_find() reads FRA_PROTOCOL 0 as "any protocol", and
// every absent selector of a delete as "any". flush lists the protocol-0 rules and deletes each
// listed object; a listed plain rule at the priority of another owner's (more specific) rule
// that comes first deleted that rule instead:
//   ip rule add pref 600 fwmark 1 table 5 protocol 99; ip rule add pref 600 table 5
//   (routemark, before the fix) flush({ protocol: 0 })  -> the protocol-99 rule gone, the plain one left
// (`ip rule flush protocol unspec` sends the same loose delete and has the same fault.) No
// request can take the plain rule while the other stands first: every field of the plain rule
// matches the other too. So flush now refuses, before deleting anything.
// ---------------------------------------------------------------------------------------------

t.test("flush({ protocol: 0 }) refuses, deleting nothing, when its deletes would take another owner's rule", async (t) => {
  const { ns, handle } = await freshHandle(t);
  ns.ip('rule', 'add', 'pref', '600', 'fwmark', '1', 'table', '5', 'protocol', '99');
  ns.ip('rule', 'add', 'pref', '600', 'table', '5');
  const before = at(ns, 600);
  t.same(before.map((r) => r.protocol), ['openr', undefined], 'ip: the protocol-99 rule, then the plain one');
  await t.rejects(handle.rules.flush({ protocol: 0 }), { name: 'ValidationError', message: /would delete .*"fwmark":1.* instead/ }, 'a ValidationError naming the rule it would take');
  t.same(at(ns, 600), before, 'ip: both rules still there');
  // Once the specific rule is gone (or after the plain one), the flush goes through.
  ns.ip('rule', 'del', 'pref', '600', 'fwmark', '1', 'table', '5', 'protocol', '99');
  ns.ip('rule', 'add', 'pref', '600', 'fwmark', '1', 'table', '5', 'protocol', '99');
  t.same(at(ns, 600).map((r) => r.protocol), [undefined, 'openr'], 'ip: now the plain rule comes first');
  t.equal(await handle.rules.flush({ protocol: 0 }), 1, 'one rule deleted');
  t.same(at(ns, 600), [{ priority: 600, src: 'all', fwmark: '0x1', table: '5', protocol: 'openr' }], 'ip: the protocol-99 rule remains');
});

// ---------------------------------------------------------------------------------------------
// Paths no other test covers, that pass.
// ---------------------------------------------------------------------------------------------

t.test('detached iif/oif, unresolved goto and priority 2^32-1 round trip through list', async (t) => {
  const { ns, handle } = await freshHandle(t);
  const made: string[][] = [
    ['pref', '700', 'iif', 'nosuch0', 'table', '5'],
    ['pref', '701', 'oif', 'nosuch1', 'table', '5'],
    ['pref', '702', 'goto', '800'],
    ['pref', '703', 'nop'],
    ['pref', '4294967295', 'fwmark', '0/0xffffffff', 'table', '5'],
    ['pref', '704', 'l3mdev'],
    ['pref', '705', 'not', 'to', '203.0.113.0/24', 'uidrange', '0-4294967294', 'unreachable'],
  ];
  for (const args of made) ns.ip('rule', 'add', ...args);
  const before = rules(ns);
  t.match(before.find((r) => r.priority === 700), { iif: 'nosuch0', iif_detached: null }, 'ip: iif detached');
  t.match(before.find((r) => r.priority === 702), { goto: 800, unresolved: null }, 'ip: goto unresolved');
  const listed = (await handle.rules.list({ family: 'inet' })).filter((r) => r.priority !== 0 && r.priority !== 32766 && r.priority !== 32767);
  t.equal(listed.length, made.length, 'routemark lists every one');
  for (const rule of listed) await handle.rules.delete(rule);
  t.same(rules(ns), [], 'the listed objects delete every one');
  const added = await handle.rules.addMany(listed);
  t.same(added.errors.map((e) => e?.code), listed.map(() => undefined), 'addMany of the listed objects: all added');
  t.same(rules(ns), before, 'ip shows the same rules again');
  for (const rule of listed) t.equal(await handle.rules.ensure(rule), false, `ensure finds ${JSON.stringify(rule)}`);
  t.same(rules(ns), before, 'ensure added nothing');
});

t.test('bad input is refused before I/O, naming the field and value, where ip or the kernel refuse it', async (t) => {
  const { ns, handle } = await freshHandle(t);
  const cases: [Rule, string, string[]][] = [
    [{ priority: 2 ** 32, table: 5 }, 'rule.priority', ['pref', '4294967296', 'table', '5']],
    [{ fwmask: 0xff, priority: 10, table: 5 }, 'rule.fwmask', []],
    [{ uidrange: '200-100', priority: 10, table: 5 }, 'rule.uidrange', ['pref', '10', 'uidrange', '200-100', 'table', '5']],
    [{ sport: 0, priority: 10, table: 5 }, 'rule.sport', ['pref', '10', 'sport', '0', 'table', '5']],
    [{ dport: 65535, priority: 10, table: 5 }, 'rule.dport', ['pref', '10', 'dport', '65535', 'table', '5']],
    [{ dport: 65536, priority: 10, table: 5 }, 'rule.dport', ['pref', '10', 'dport', '65536', 'table', '5']],
    [{ dscp: 64, priority: 10, table: 5 }, 'rule.dscp', []],
    [{ tos: 256, priority: 10, table: 5 }, 'rule.tos', ['pref', '10', 'tos', '256', 'table', '5']],
    [{ uidrange: 4294967295, priority: 10, table: 5 }, 'rule.uidrange', ['pref', '10', 'uidrange', '4294967295-4294967295', 'table', '5']],
    [{ priority: 10, table: 5, action: 'goto', goto: 20 }, 'rule.goto', []],
  ];
  for (const [rule, field, ipArgs] of cases) {
    if (ipArgs.length > 0) t.ok(ipFails(ns, 'rule', 'add', ...ipArgs), `ip or the kernel refuse: ip rule add ${ipArgs.join(' ')}`);
    if (field === 'rule.goto') continue;
    const error = await rejection(() => handle.rules.add(rule));
    t.ok(error instanceof ValidationError, `${JSON.stringify(rule)}: a ValidationError`);
    t.match(error, { field }, `naming ${field}`);
  }
  t.same(rules(ns), [], 'nothing was added');
  const bulk = await rejection(() => handle.rules.addMany([{ fwmark: 1, priority: 10, table: 5 }, { fwmark: 1, fwmask: 1, priority: 10, table: 2 ** 32 }]));
  t.match(bulk, { field: 'rules[1].table' }, 'addMany: the bad item by index');
  t.same(rules(ns), [], 'nothing was added by the bulk call either');
});

t.test('addMany\'s duplicate check agrees with the kernel on not, host bits, goto targets and fwmark 0/0', async (t) => {
  // rule_exists() ignores fib_rule_hdr.flags and the goto target; compare() takes the source
  // address as given (no masking) and only when src_len is not 0:
  //   ip rule add pref 100 from 192.0.2.0/24 table 5
  //   ip rule add pref 100 not from 192.0.2.0/24 table 5  -> RTNETLINK answers: File exists
  const { ns, handle } = await freshHandle(t);
  ns.ip('rule', 'add', 'pref', '100', 'from', '192.0.2.0/24', 'table', '5');
  ns.ip('rule', 'add', 'pref', '101', 'goto', '200');
  ns.ip('rule', 'add', 'pref', '102', 'table', '5');
  const items: [Rule, string[]][] = [
    [{ not: true, from: '192.0.2.0/24', priority: 100, table: 5 }, ['pref', '100', 'not', 'from', '192.0.2.0/24', 'table', '5']],
    [{ from: '192.0.2.5/24', priority: 100, table: 5 }, ['pref', '100', 'from', '192.0.2.5/24', 'table', '5']],
    [{ priority: 101, action: 'goto', goto: 300 }, ['pref', '101', 'goto', '300']],
    [{ fwmark: 0, fwmask: 0, priority: 102, table: 5 }, ['pref', '102', 'fwmark', '0/0', 'table', '5']],
    [{ fwmark: 0, fwmask: 0xffffffff, priority: 102, table: 5 }, ['pref', '102', 'fwmark', '0/0xffffffff', 'table', '5']],
  ];
  const expected = items.map(([, args]) => (ipFails(ns, 'rule', 'add', ...args) ? 'EEXIST' : undefined));
  t.same(expected, ['EEXIST', undefined, 'EEXIST', 'EEXIST', undefined], 'what ip rule add says, one by one');
  const withIp = rules(ns);
  // Back to the three rules, then the same with addMany.
  ns.ip('rule', 'del', 'pref', '100', 'from', '192.0.2.5/24');
  ns.ip('rule', 'del', 'pref', '102', 'fwmark', '0/0xffffffff');
  const result = await handle.rules.addMany(items.map(([rule]) => rule));
  t.same(result.errors.map((e) => e?.code), expected, 'addMany: the same outcomes');
  t.same(rules(ns), withIp, 'ip shows the same rules as after ip rule add');
});
