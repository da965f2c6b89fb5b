// The Whop contract Dealdesk is held to, extracted from Whop's official TypeScript SDK.
//
//   node tests/whop-sdk/extract.mjs [--check] [--sdk DIR]
//
// DIR is an installed `@whop/sdk` (default: target/tools/whop-sdk/node_modules/@whop/sdk, where
// `cargo xtask setup` puts the version pinned in tests/whop-sdk/package.json). For every SDK method
// Dealdesk calls (METHODS below) it reads, from the package's own files:
//   - the verb and path (resources/*.js: `this._client.post(path\`/payments/${id}/refund\`, …)`);
//   - the query or body params, each required (no `?` in the .d.ts) or optional, with its type;
//   - the page-size maximum (the `first` param's comment: "default and max 100", "max 50");
//   - the "Required permissions:" list in the method's comment;
//   - the answer's type, as a JSON Schema (fields without `?` are required; no other fields).
// and writes tests/specs/whop/contract.json. With --check it writes nothing and exits 1 when the file
// differs from what the SDK says (CI runs this, so a hand edit or an SDK bump cannot drift unseen).
// It needs `typescript` (same package.json) to read the declarations with the compiler's type checker.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const OUT = path.join(root, 'tests/specs/whop/contract.json');

const args = process.argv.slice(2);
const check = args.includes('--check');
const sdkArg = args.indexOf('--sdk');
const sdkDir = sdkArg >= 0 ? path.resolve(args[sdkArg + 1]) : path.join(root, 'target/tools/whop-sdk/node_modules/@whop/sdk');
const require = createRequire(path.join(sdkDir, '..', '..', 'package.json'));
const ts = require('typescript');

// What Dealdesk calls: [client property, method]. The sandbox serves exactly these routes.
const METHODS = [
  ['accounts', 'list'],
  ['products', 'list'],
  ['plans', 'list'],
  ['members', 'list'],
  ['memberships', 'list'],
  ['memberships', 'retrieve'],
  ['memberships', 'update'],
  ['memberships', 'cancel'],
  ['memberships', 'uncancel'],
  ['memberships', 'pause'],
  ['memberships', 'resume'],
  ['memberships', 'addFreeDays'],
  ['payments', 'list'],
  ['payments', 'retrieve'],
  ['payments', 'refund'],
  ['payments', 'retry'],
  ['refunds', 'list'],
  ['reviews', 'list'],
  ['promoCodes', 'list'],
  ['promoCodes', 'retrieve'],
  ['promoCodes', 'create'],
  ['promoCodes', 'delete'],
  ['leads', 'list'],
  ['dmChannels', 'create'],
  ['messages', 'create'],
];

const sdkPackage = JSON.parse(fs.readFileSync(path.join(sdkDir, 'package.json'), 'utf8'));
// npm ci checks the installed package against this hash, so it names exactly the files read here.
const lock = JSON.parse(fs.readFileSync(path.join(here, 'package-lock.json'), 'utf8'));
const integrity = lock.packages?.[`node_modules/${sdkPackage.name}`]?.integrity ?? null;
const clientJs = fs.readFileSync(path.join(sdkDir, 'client.js'), 'utf8');
const versionMatch = clientJs.match(/WHOP_API_VERSION'\) \?\? '([^']+)'/);
if (!versionMatch) fail('cannot find the pinned Api-Version-Date in client.js');
const apiVersionDate = versionMatch[1];

const program = ts.createProgram([path.join(sdkDir, 'index.d.ts')], {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  strict: true,
  noEmit: true,
});
const checker = program.getTypeChecker();
const clientFile = program.getSourceFile(path.join(sdkDir, 'client.d.ts'));
if (!clientFile) fail('client.d.ts is not in the program');
const whopClass = findNode(clientFile, (n) => ts.isClassDeclaration(n) && n.name?.text === 'Whop');
if (!whopClass) fail('no class Whop in client.d.ts');
const whopType = checker.getTypeAtLocation(whopClass);

const defs = {};
const endpoints = METHODS.map(([resource, method]) => endpoint(resource, method));
endpoints.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));

const contract = {
  about:
    'What Dealdesk may send to Whop and what Whop answers, extracted by tests/whop-sdk/extract.mjs from the ' +
    'official TypeScript SDK. Do not edit by hand: run the script. Required params have no `?` in the SDK; ' +
    '`max_first` is the documented page-size maximum (null: none documented); `permissions` are the ' +
    'method\'s "Required permissions"; `response` names a schema in `schemas`.',
  provenance: {
    package: sdkPackage.name,
    version: sdkPackage.version,
    repository: sdkPackage.repository,
    integrity,
    files: 'client.js (Api-Version-Date), resources/*.d.ts (params, permissions, types), resources/*.js (verb, path)',
  },
  api_version_date: apiVersionDate,
  endpoints,
  schemas: sortKeys(defs),
};
const text = JSON.stringify(contract, null, 2) + '\n';

if (check) {
  const current = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
  if (current !== text) {
    console.error(`${path.relative(root, OUT)} differs from what ${sdkPackage.name} ${sdkPackage.version} says: run node tests/whop-sdk/extract.mjs`);
    process.exit(1);
  }
  console.log(`${path.relative(root, OUT)} matches ${sdkPackage.name} ${sdkPackage.version} (${endpoints.length} endpoints)`);
} else {
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, text);
  console.log(`wrote ${path.relative(root, OUT)}: ${endpoints.length} endpoints, ${Object.keys(defs).length} schemas`);
}

function fail(message) {
  console.error(`extract: ${message}`);
  process.exit(2);
}

function findNode(node, test) {
  if (test(node)) return node;
  let found;
  ts.forEachChild(node, (child) => {
    found ??= findNode(child, test);
  });
  return found;
}

function sortKeys(object) {
  return Object.fromEntries(Object.keys(object).sort().map((k) => [k, object[k]]));
}

/** The doc comment above a declaration, as plain text. */
function docText(decl) {
  const ranges = ts.getLeadingCommentRanges(decl.getSourceFile().text, decl.getFullStart()) ?? [];
  return ranges
    .map((r) => decl.getSourceFile().text.slice(r.pos, r.end))
    .filter((c) => c.startsWith('/**'))
    .join('\n')
    .replace(/^\s*\/\*\*|\*\/\s*$/g, '')
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, ''))
    .join('\n')
    .trim();
}

function endpoint(resource, method) {
  const resourceSymbol = whopType.getProperty(resource);
  if (!resourceSymbol) fail(`the client has no ${resource}`);
  const resourceType = checker.getTypeOfSymbolAtLocation(resourceSymbol, whopClass);
  const methodSymbol = resourceType.getProperty(method);
  if (!methodSymbol) fail(`${resource} has no method ${method}`);
  const decl = methodSymbol.declarations?.[0];
  if (!decl || !ts.isMethodDeclaration(decl)) fail(`${resource}.${method} is not a method`);
  const doc = docText(decl);
  const permissions = [];
  const permissionBlock = doc.split(/Required permissions:\s*/)[1];
  if (permissionBlock) {
    for (const line of permissionBlock.split('\n')) {
      const m = line.match(/^\s*- `([^`]+)`/);
      if (m) permissions.push(m[1]);
      else if (line.trim() && permissions.length) break;
    }
  }

  // Verb and path from the compiled JavaScript beside the declaration.
  const js = fs.readFileSync(decl.getSourceFile().fileName.replace(/\.d\.ts$/, '.js'), 'utf8');
  const body = js.match(new RegExp(`\\n    ${method}\\(([^)]*)\\) \\{\\n([\\s\\S]*?)\\n    \\}`));
  if (!body) fail(`cannot find ${resource}.${method} in ${decl.getSourceFile().fileName}`);
  const call = body[2].match(/this\._client\.(getAPIList|get|post|patch|put|delete)\((?:\(0, path_1\.path\) )?(?:`([^`]+)`|'([^']+)')/);
  if (!call) fail(`cannot read the request of ${resource}.${method}`);
  const verb = call[1] === 'getAPIList' ? 'GET' : call[1].toUpperCase();
  const urlPath = (call[2] ?? call[3]).replace(/\$\{(\w+)\}/g, '{$1}');
  const paginated = call[1] === 'getAPIList';
  const paramsGoTo = /\{ query,/.test(body[2]) ? 'query' : /\{ body,/.test(body[2]) ? 'body' : null;

  const signature = checker.getSignatureFromDeclaration(decl);
  const query = {};
  const requestBody = {};
  let maxFirst = null;
  for (const param of signature.getParameters()) {
    const paramDecl = param.valueDeclaration;
    const name = param.getName();
    if (name === 'options' || ts.isParameter(paramDecl) && urlPath.includes(`{${name}}`)) continue;
    if (urlPath.includes('{') && name === 'id') continue;
    let type = checker.getTypeOfSymbolAtLocation(param, paramDecl);
    type = checker.getNonNullableType(type);
    for (const prop of checker.getPropertiesOfType(type)) {
      const propDecl = prop.valueDeclaration ?? prop.declarations?.[0];
      const comment = propDecl ? docText(propDecl) : '';
      let where = paramsGoTo;
      const marked = comment.match(/^(Query|Body) param:/);
      if (marked) where = marked[1].toLowerCase();
      if (!where) fail(`${resource}.${method} has params but sends neither query nor body`);
      const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
      const schema = toSchema(checker.getTypeOfSymbolAtLocation(prop, propDecl ?? paramDecl), `${resource}.${method}.${prop.getName()}`);
      (where === 'query' ? query : requestBody)[prop.getName()] = { required: !optional, schema };
      if (prop.getName() === 'first') {
        const m = comment.match(/max(?:imum)? (\d+)/i);
        if (m) maxFirst = Number(m[1]);
      }
    }
  }

  // The answer: a page of items for lists, else the method's promised type.
  const returnType = signature.getReturnType();
  const promised = checker.getTypeArguments?.(returnType) ?? [];
  let answerType;
  if (paginated) {
    // PagePromise<Page, Item>
    answerType = (returnType.aliasTypeArguments ?? returnType.typeArguments ?? promised)[1];
  } else {
    answerType = (returnType.aliasTypeArguments ?? returnType.typeArguments ?? promised)[0];
  }
  if (!answerType) fail(`cannot read the answer type of ${resource}.${method}`);
  const response = toSchema(answerType, `${resource}.${method}.response`);

  return {
    sdk_method: `${resource}.${method}`,
    method: verb,
    path: urlPath,
    paginated,
    max_first: maxFirst,
    permissions,
    query: sortKeys(query),
    body: sortKeys(requestBody),
    response,
  };
}

/** A stable name for a named type: `Shared.Payment`, `MembershipListResponse.User`. */
function typeName(type) {
  const symbol = type.aliasSymbol ?? type.getSymbol();
  if (!symbol) return null;
  const name = checker.getFullyQualifiedName(symbol).replace(/^"[^"]*"\./, '');
  if (name.startsWith('__') || name === 'Array' || name === 'Record') return null;
  const decl = symbol.declarations?.[0];
  if (!decl || !decl.getSourceFile().fileName.startsWith(sdkDir)) return null;
  // The declaring file (resources/memberships.d.ts → memberships) keeps names from two files apart.
  const file = path.basename(decl.getSourceFile().fileName, '.d.ts');
  return name.includes('.') || file === 'shared' ? name : `${file}.${name}`;
}

function toSchema(type, where) {
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return {};
  if (type.isUnion()) {
    const parts = type.types.filter((t) => !(t.flags & ts.TypeFlags.Undefined));
    const nullable = parts.some((t) => t.flags & ts.TypeFlags.Null);
    const rest = parts.filter((t) => !(t.flags & ts.TypeFlags.Null));
    let schema;
    if (rest.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) schema = { type: 'boolean' };
    else if (rest.every((t) => t.isStringLiteral())) {
      const named = type.aliasSymbol && rest.length === type.types.filter((t) => t.isStringLiteral()).length ? typeName(type) : null;
      schema = { type: 'string', enum: rest.map((t) => t.value).sort() };
      if (named) {
        defs[named] ??= schema;
        schema = { $ref: `#/schemas/${named}` };
      }
    } else if (rest.some((t) => t.flags & ts.TypeFlags.String) && rest.every((t) => t.flags & (ts.TypeFlags.String | ts.TypeFlags.StringLiteral | ts.TypeFlags.Intersection))) {
      schema = { type: 'string' };
    } else if (rest.length === 1) schema = toSchema(rest[0], where);
    else schema = { anyOf: rest.map((t) => toSchema(t, where)) };
    return nullable ? { anyOf: [schema, { type: 'null' }] } : schema;
  }
  if (type.flags & ts.TypeFlags.Null) return { type: 'null' };
  if (type.flags & (ts.TypeFlags.String | ts.TypeFlags.TemplateLiteral)) return { type: 'string' };
  if (type.flags & ts.TypeFlags.StringLiteral) return { type: 'string', enum: [type.value] };
  if (type.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return { type: 'number' };
  if (type.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return { type: 'boolean' };
  if (checker.isArrayType(type)) {
    return { type: 'array', items: toSchema(checker.getTypeArguments(type)[0], `${where}[]`) };
  }
  if (type.flags & ts.TypeFlags.Object) {
    const name = typeName(type);
    if (name && defs[name]) return { $ref: `#/schemas/${name}` };
    if (name) defs[name] = {}; // a placeholder, so a type that refers to itself ends
    const properties = {};
    const required = [];
    for (const prop of checker.getPropertiesOfType(type)) {
      const decl = prop.valueDeclaration ?? prop.declarations?.[0];
      properties[prop.getName()] = toSchema(checker.getTypeOfSymbolAtLocation(prop, decl), `${where}.${prop.getName()}`);
      if (!(prop.flags & ts.SymbolFlags.Optional)) required.push(prop.getName());
    }
    const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
    const schema = { type: 'object' };
    if (Object.keys(properties).length) {
      schema.properties = sortKeys(properties);
      schema.required = required.sort();
    }
    schema.additionalProperties = index ? toSchema(index.type, `${where}[key]`) : false;
    if (!name) return schema;
    defs[name] = schema;
    return { $ref: `#/schemas/${name}` };
  }
  fail(`${where}: a type the extract cannot express (${checker.typeToString(type)})`);
}
