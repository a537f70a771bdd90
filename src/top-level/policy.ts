/**
 * Policy functions: each takes a handle first, or works on the default handle (current
 * namespace) when the first argument is the document itself. The owner then comes from
 * `options.owner`, since the default handle has none.
 */
import { defaults } from '../default-handle.js';
import { Handle } from '../handle.js';
import { applyPolicy as applyOn, type ApplyPolicyOptions, type ApplyPolicyResult } from '../policy/apply.js';
import type { PolicyDocument } from '../policy/document.js';
import { planPolicy as planOn, type PlanOptions, type PolicyPlan } from '../policy/plan.js';

/**
 * Compares a policy document with what its owner holds and returns the minimal changes,
 * changing nothing. See the orchestration section of the README.
 * @example const plan = await planPolicy(ns, document);
 */
export function planPolicy(handle: Handle, document: PolicyDocument, options?: PlanOptions): Promise<PolicyPlan>;
/** The same in the current namespace; `options.owner` is required. */
export function planPolicy(document: PolicyDocument, options: PlanOptions & { owner: number }): Promise<PolicyPlan>;
export function planPolicy(first: Handle | PolicyDocument, second?: PolicyDocument | PlanOptions, third?: PlanOptions): Promise<PolicyPlan> {
  if (first instanceof Handle) return planOn(first, second as PolicyDocument, third);
  return planOn(defaults(), first, second as PlanOptions);
}

/**
 * Makes the kernel hold a policy document for its owner, with minimal changes, undoing
 * everything if one fails. Applying the same document again sends no change.
 * @example await applyPolicy(ns, { rules: [{ fwmark: 65, priority: 1000, table: 100 }] });
 */
export function applyPolicy(handle: Handle, document: PolicyDocument, options?: ApplyPolicyOptions): Promise<ApplyPolicyResult>;
/** The same in the current namespace; `options.owner` is required. */
export function applyPolicy(document: PolicyDocument, options: ApplyPolicyOptions & { owner: number }): Promise<ApplyPolicyResult>;
export function applyPolicy(first: Handle | PolicyDocument, second?: PolicyDocument | ApplyPolicyOptions, third?: ApplyPolicyOptions): Promise<ApplyPolicyResult> {
  if (first instanceof Handle) return applyOn(first, second as PolicyDocument, third);
  return applyOn(defaults(), first, second as ApplyPolicyOptions);
}
