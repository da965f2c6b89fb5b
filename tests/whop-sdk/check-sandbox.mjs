// A second, independent client for the Whop sandbox: Whop's own TypeScript SDK.
//
//   WHOP_BASE_URL=http://127.0.0.1:PORT/api/v1 WHOP_API_KEY=TOKEN WHOP_LIMITED_KEY=TOKEN \
//     node tests/whop-sdk/check-sandbox.mjs
//
// It lists every resource Dealdesk syncs, for every business the token sees, and performs every
// action Dealdesk offers, through the SDK's own methods. Every answer must match the SDK's type for
// that method (the JSON Schemas in tests/specs/whop/contract.json, extracted from the same package):
// each required field present, no field the type does not have, every enum value known. It also
// checks that the sandbox refuses, through the SDK, what Whop refuses. WHOP_LIMITED_KEY is a token
// granted neither `member:manage` nor `chat:message:create`. The SDK is loaded from target/tools/whop-sdk (cargo xtask setup).
//
// Prints one JSON line {"exercised":[sdk methods],"objects":N,"refusals":[…]} and exits 0, or lists
// every problem on stderr and exits 1.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const sdkRoot = process.env.WHOP_SDK_DIR ?? path.join(root, 'target/tools/whop-sdk');
const require = createRequire(path.join(sdkRoot, 'package.json'));
const { Whop } = require('@whop/sdk');
const contract = JSON.parse(fs.readFileSync(path.join(root, 'tests/specs/whop/contract.json'), 'utf8'));

const baseURL = need('WHOP_BASE_URL');
const apiKey = need('WHOP_API_KEY');
const limitedKey = need('WHOP_LIMITED_KEY');

const problems = [];
const exercised = new Set();
const refusals = [];
let objects = 0;

// The page wrapper is not in the method types: the SDK's CursorPage reads `data` and
// `page_info.end_cursor`; the Python SDK's types/page_info.py gives the four fields of page_info.
const PAGE_INFO = {
  type: 'object',
  properties: {
    end_cursor: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    start_cursor: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    has_next_page: { type: 'boolean' },
    has_previous_page: { type: 'boolean' },
  },
  required: ['end_cursor', 'has_next_page', 'has_previous_page', 'start_cursor'],
  additionalProperties: false,
};

const client = new Whop({ apiKey, baseURL, maxRetries: 0, timeout: 20_000 });
const limited = new Whop({ apiKey: limitedKey, baseURL, maxRetries: 0, timeout: 20_000 });

function need(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`check-sandbox: ${name} is not set`);
    process.exit(2);
  }
  return value;
}

function endpoint(sdkMethod) {
  const found = contract.endpoints.find((e) => e.sdk_method === sdkMethod);
  if (!found) throw new Error(`${sdkMethod} is not in the contract`);
  return found;
}

function typeOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Problems of `value` against `schema` (an empty list when it conforms). */
function validate(schema, value, where, out = []) {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/schemas/', '');
    const target = contract.schemas[name];
    if (!target) out.push(`${where}: unknown schema ${name}`);
    else validate(target, value, where, out);
    return out;
  }
  if (schema.anyOf) {
    const attempts = schema.anyOf.map((s) => validate(s, value, where, []));
    if (attempts.every((a) => a.length)) {
      out.push(...attempts.reduce((best, a) => (a.length < best.length ? a : best)));
    }
    return out;
  }
  if (!schema.type) return out; // unknown in the SDK: anything goes
  const actual = typeOf(value);
  if (actual !== schema.type) {
    out.push(`${where}: expected ${schema.type}, got ${actual} ${JSON.stringify(value)?.slice(0, 60)}`);
    return out;
  }
  if (schema.enum && !schema.enum.includes(value)) {
    out.push(`${where}: ${JSON.stringify(value)} is not one of the SDK's values`);
  }
  if (schema.type === 'array') {
    value.forEach((item, i) => validate(schema.items ?? {}, item, `${where}[${i}]`, out));
  }
  if (schema.type === 'object') {
    const properties = schema.properties ?? {};
    for (const name of schema.required ?? []) {
      if (!(name in value)) out.push(`${where}: missing ${name}`);
    }
    for (const [name, field] of Object.entries(value)) {
      if (properties[name]) validate(properties[name], field, `${where}.${name}`, out);
      else if (schema.additionalProperties === false) out.push(`${where}: ${name} is not in the SDK's type`);
      else if (schema.additionalProperties) validate(schema.additionalProperties, field, `${where}.${name}`, out);
    }
  }
  return out;
}

function conforms(sdkMethod, value, where) {
  exercised.add(sdkMethod);
  objects += 1;
  const found = validate(endpoint(sdkMethod).response, value, where);
  // One object's problems are usually every object's: report each distinct one once.
  for (const p of found) {
    const general = `${sdkMethod}: ${p.replace(/\[\d+\]/g, '[]').replace(/^[^:.[]*/, 'answer')}`;
    if (!problems.includes(general)) problems.push(general);
  }
}

/** Every page of a list, through the SDK's own pager; each page and item checked. */
async function collect(sdkMethod, list) {
  const items = [];
  let pages = 0;
  for await (const page of (await list).iterPages()) {
    pages += 1;
    const info = validate(PAGE_INFO, page.page_info, `${sdkMethod} page_info`);
    for (const p of info) if (!problems.includes(p)) problems.push(p);
    if (!Array.isArray(page.data)) problems.push(`${sdkMethod}: page without a data array`);
    for (const item of page.getPaginatedItems()) {
      conforms(sdkMethod, item, sdkMethod);
      items.push(item);
    }
    if (pages > 500) {
      problems.push(`${sdkMethod}: more than 500 pages; the cursor does not advance`);
      break;
    }
  }
  return items;
}

async function call(sdkMethod, promise) {
  try {
    const answer = await promise;
    conforms(sdkMethod, answer, sdkMethod);
    return answer;
  } catch (error) {
    problems.push(`${sdkMethod}: ${error.status ?? ''} ${error.message}`);
    return null;
  }
}

/** The call must fail with `status`; the SDK's error class and Whop's error body are recorded. */
async function refused(what, status, promise, param) {
  try {
    await promise;
    problems.push(`${what}: the sandbox accepted it; Whop refuses it with ${status}`);
  } catch (error) {
    const body = error.error?.error ?? error.error;
    if (error.status !== status) {
      problems.push(`${what}: expected ${status}, got ${error.status ?? 'no status'} (${error.message})`);
    } else if (!body || typeof body.message !== 'string' || typeof body.type !== 'string') {
      problems.push(`${what}: the error body is not Whop's {"error":{"type","message"}}: ${JSON.stringify(error.error)}`);
    } else if (param && body.param !== param) {
      problems.push(`${what}: the error names ${body.param}, not ${param}`);
    }
    refusals.push({ what, status: error.status, class: error.constructor?.name, code: body?.code ?? null });
  }
}

async function main() {
  const accounts = await collect('accounts.list', client.accounts.list({ first: 50 }));
  if (!accounts.length) problems.push('accounts.list: the seller has no business account');
  const byBusiness = {};
  for (const account of accounts) {
    const company_id = account.id;
    const products = await collect('products.list', client.products.list({ account_id: company_id }));
    await collect('plans.list', client.plans.list({ account_id: company_id }));
    const members = await collect('members.list', client.members.list({ company_id }));
    const memberships = await collect('memberships.list', client.memberships.list({ company_id }));
    const payments = await collect('payments.list', client.payments.list({ company_id }));
    await collect('refunds.list', client.refunds.list({ company_id }));
    await collect('promoCodes.list', client.promoCodes.list({ company_id }));
    await collect('leads.list', client.leads.list({ company_id }));
    for (const product of products) {
      await collect('reviews.list', client.reviews.list({ product_id: product.id }));
    }
    for (const m of memberships) {
      if (m.company?.id !== company_id) problems.push(`memberships.list: ${m.id} of ${m.company?.id} listed for ${company_id}`);
    }
    for (const p of payments) {
      if (p.company && p.company.id !== company_id) problems.push(`payments.list: ${p.id} of ${p.company.id} listed for ${company_id}`);
    }
    byBusiness[company_id] = { members, memberships, payments };
  }
  const first = accounts[0]?.id;
  if (!first) return;
  const { members, memberships, payments } = byBusiness[first];

  // Membership actions, in an order each one allows.
  const member = memberships.find((m) => m.status === 'active' && !m.cancel_at_period_end && !m.payment_collection_paused);
  if (!member) problems.push('no active membership to act on');
  else {
    await call('memberships.retrieve', client.memberships.retrieve(member.id));
    await call('memberships.update', client.memberships.update(member.id, { metadata: { source: 'sdk-check' } }));
    await call('memberships.pause', client.memberships.pause(member.id, {}));
    await call('memberships.resume', client.memberships.resume(member.id));
    await call('memberships.addFreeDays', client.memberships.addFreeDays(member.id, { free_days: 3 }));
    await call('memberships.cancel', client.memberships.cancel(member.id, { cancellation_mode: 'at_period_end' }));
    await call('memberships.uncancel', client.memberships.uncancel(member.id));
    await call('memberships.cancel', client.memberships.cancel(member.id, { cancellation_mode: 'immediate' }));
  }

  // Refunds: part, then the rest sent explicitly (an empty body means "the full amount").
  const paid = payments.find((p) => p.status === 'paid' && p.refundable && !p.refunded_amount && p.total >= 2);
  if (!paid) problems.push('no refundable payment to act on');
  else {
    await call('payments.retrieve', client.payments.retrieve(paid.id));
    const half = Math.round(paid.total * 50) / 100;
    const afterPart = await call('payments.refund', client.payments.refund(paid.id, { partial_amount: half }));
    if (afterPart && Math.abs(afterPart.refunded_amount - half) > 0.001) {
      problems.push(`payments.refund: refunded_amount ${afterPart.refunded_amount} after refunding ${half}`);
    }
    const rest = Math.round((paid.total - half) * 100) / 100;
    const afterRest = await call('payments.refund', client.payments.refund(paid.id, { partial_amount: rest }));
    if (afterRest && afterRest.refundable) problems.push('payments.refund: still refundable after refunding the rest');
  }
  const failed = payments.find((p) => p.retryable);
  if (!failed) problems.push('no retryable payment to act on');
  else await call('payments.retry', client.payments.retry(failed.id));

  // Promo codes: every required field of the pinned version.
  const code = `SDKCHECK${Date.now() % 100000}`;
  const promo = await call(
    'promoCodes.create',
    client.promoCodes.create({
      amount_off: 15,
      base_currency: 'usd',
      code,
      company_id: first,
      new_users_only: false,
      promo_duration_months: 3,
      promo_type: 'percentage',
    }),
  );
  if (promo) {
    await call('promoCodes.retrieve', client.promoCodes.retrieve(promo.id));
    const archived = await call('promoCodes.delete', client.promoCodes.delete(promo.id));
    if (archived !== true) problems.push(`promoCodes.delete answered ${JSON.stringify(archived)}, not true`);
  }

  // A message to a customer: their DM channel (the existing one the second time), then the message.
  const customer = members.find((m) => m.user?.id)?.user.id;
  let channel = null;
  if (!customer) problems.push('no member to message');
  else {
    channel = await call('dmChannels.create', client.dmChannels.create({ with_user_ids: [customer] }));
    const again = await call('dmChannels.create', client.dmChannels.create({ with_user_ids: [customer] }));
    if (channel && again && again.id !== channel.id) {
      problems.push(`dmChannels.create: a second channel ${again.id} with ${customer}, not the existing ${channel.id}`);
    }
  }
  if (channel) {
    const content = 'Your last payment failed: **retry** from your Whop account';
    const message = await call('messages.create', client.messages.create({ channel_id: channel.id, content }));
    if (message && message.content !== content) problems.push(`messages.create: content ${JSON.stringify(message.content)}`);
  }

  // What Whop refuses, refused through the SDK.
  await refused('products.list without account_id', 400, client.products.list({}), 'account_id');
  await refused('reviews.list without product_id', 400, client.reviews.list({}), 'product_id');
  await refused('promoCodes.list without company_id', 400, client.promoCodes.list({}), 'company_id');
  await refused('accounts.list with first=51', 400, client.accounts.list({ first: 51 }), 'first');
  await refused('memberships.list with an unknown param', 400, client.memberships.list({ company_id: first, account_id: first }), 'account_id');
  await refused(
    'an unknown Api-Version-Date',
    400,
    new Whop({ apiKey, baseURL, maxRetries: 0, version: '2019-01-01' }).accounts.list(),
    'Api-Version-Date',
  );
  await refused(
    'promoCodes.create with promo_duration_months null',
    400,
    client.promoCodes.create({
      amount_off: 5, base_currency: 'usd', code: `${code}X`, company_id: first, new_users_only: false,
      promo_duration_months: null, promo_type: 'percentage',
    }),
    'promo_duration_months',
  );
  if (member) {
    await refused('memberships.pause without member:manage', 403, limited.memberships.pause(member.id, {}));
  }
  await refused('dmChannels.create with a user who is no customer', 403, client.dmChannels.create({ with_user_ids: ['user_stranger'] }), 'with_user_ids');
  if (channel) {
    await refused('messages.create with empty content', 400, client.messages.create({ channel_id: channel.id, content: ' ' }), 'content');
    await refused('messages.create without chat:message:create', 403, limited.messages.create({ channel_id: channel.id, content: 'hi' }));
  }
  if (paid) {
    const key = `sdk-check-${Date.now()}`;
    const other = payments.find((p) => p.status === 'paid' && p.refundable && p.id !== paid.id);
    if (other) {
      // The SDK sends no Idempotency-Key by itself (Whop's client sets no idempotency header).
      const headers = { 'Idempotency-Key': key };
      await client.payments.refund(other.id, { partial_amount: 0.01 }, { headers }).catch((e) => problems.push(`refund with a key: ${e.message}`));
      await refused('an Idempotency-Key reused with another body', 422, client.payments.refund(other.id, { partial_amount: 0.02 }, { headers }));
    }
  }
}

main()
  .catch((error) => problems.push(`check-sandbox stopped: ${error.stack ?? error}`))
  .finally(() => {
    if (problems.length) {
      console.error(`The sandbox does not answer as Whop's SDK expects (${problems.length} problems):`);
      for (const p of problems) console.error(`  - ${p}`);
      process.exitCode = 1;
    }
    console.log(JSON.stringify({ exercised: [...exercised].sort(), objects, refusals }));
  });
