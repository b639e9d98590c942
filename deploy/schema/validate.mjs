// Offline check of rendered Kubernetes manifests (the output of `kubectl kustomize`):
//  1. every object validates against the Kubernetes OpenAPI schema bundled in kubernetes-models;
//  2. project rules a schema cannot express: no Secret objects (values never live in the repo), every workload
//     container has requests+limits and readiness+liveness probes, runs without privilege escalation, and every
//     ConfigMap it references is in the same render.
// Usage: node validate.mjs FILE...        (exit 1 when anything fails)
//        node validate.mjs --self-test    (feeds known-bad objects and exits 1 unless each one is caught)
import fs from 'node:fs';
import { parseAllDocuments } from 'yaml';

const modelCache = new Map();
async function modelFor(apiVersion, kind) {
  const key = `${apiVersion}/${kind}`;
  if (!modelCache.has(key)) {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : [null, apiVersion];
    const path = group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
    let model = null;
    try { model = (await import(path))[kind] ?? null; } catch { model = null; }
    modelCache.set(key, model);
  }
  return modelCache.get(key);
}

function podSpecOf(obj) {
  switch (obj.kind) {
    case 'Deployment': case 'StatefulSet': case 'DaemonSet': case 'ReplicaSet': case 'Job':
      return obj.spec?.template?.spec;
    case 'CronJob': return obj.spec?.jobTemplate?.spec?.template?.spec;
    case 'Pod': return obj.spec;
    default: return undefined;
  }
}

// Project rules. Returns a list of problems for one object; configMaps = names rendered alongside it.
function ruleProblems(obj, configMaps) {
  const problems = [];
  if (obj.kind === 'Secret') problems.push('a Secret object is rendered: secrets must be referenced, never committed');
  const pod = podSpecOf(obj);
  if (!pod) return problems;
  const longRunning = obj.kind !== 'Job' && obj.kind !== 'CronJob';
  for (const c of pod.containers ?? []) {
    const where = `container ${c.name}`;
    if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) problems.push(`${where}: resources.requests.cpu/memory missing`);
    if (!c.resources?.limits?.memory) problems.push(`${where}: resources.limits.memory missing`);
    if (longRunning && !c.readinessProbe) problems.push(`${where}: readinessProbe missing`);
    if (longRunning && !c.livenessProbe) problems.push(`${where}: livenessProbe missing`);
    if (c.securityContext?.allowPrivilegeEscalation !== false) problems.push(`${where}: securityContext.allowPrivilegeEscalation must be false`);
    const refs = [
      ...(c.envFrom ?? []).map(e => e.configMapRef).filter(Boolean),
      ...(c.env ?? []).map(e => e.valueFrom?.configMapKeyRef).filter(Boolean),
    ];
    for (const ref of refs) {
      if (!ref.optional && !configMaps.has(ref.name)) problems.push(`${where}: ConfigMap ${ref.name} is referenced but not rendered`);
    }
  }
  for (const v of pod.volumes ?? []) {
    if (v.configMap && !v.configMap.optional && !configMaps.has(v.configMap.name)) problems.push(`volume ${v.name}: ConfigMap ${v.configMap.name} is not rendered`);
  }
  return problems;
}

function secretRefs(obj) {
  const refs = [];
  for (const c of podSpecOf(obj)?.containers ?? []) {
    for (const e of c.env ?? []) {
      const s = e.valueFrom?.secretKeyRef;
      if (s) refs.push(`${s.name}/${s.key}${s.optional ? ' (optional)' : ''}`);
    }
  }
  return refs;
}

async function validateObjects(label, objects) {
  let ok = 0, failed = 0;
  const configMaps = new Set(objects.filter(o => o.kind === 'ConfigMap').map(o => o.metadata?.name));
  const secrets = new Set();
  for (const obj of objects) {
    const id = `${obj.kind ?? '?'}/${obj.metadata?.name ?? '?'}`;
    const problems = [];
    if (!obj.apiVersion || !obj.kind) problems.push('apiVersion and kind are required');
    else {
      const Model = await modelFor(obj.apiVersion, obj.kind);
      if (!Model) problems.push(`no schema for ${obj.apiVersion} ${obj.kind}`);
      else {
        try { new Model(obj).validate(); } catch (e) { problems.push(`schema: ${String(e.message).replace(/\s+/g, ' ').slice(0, 400)}`); }
      }
    }
    problems.push(...ruleProblems(obj, configMaps));
    secretRefs(obj).forEach(s => secrets.add(s));
    if (problems.length) { failed++; console.error(`  FAIL ${label}: ${id}\n       - ${problems.join('\n       - ')}`); }
    else { ok++; console.log(`  ok   ${label}: ${id}`); }
  }
  if (secrets.size) console.log(`  secrets referenced (create them before applying): ${[...secrets].sort().join(', ')}`);
  return { ok, failed };
}

function readObjects(file) {
  const objects = [];
  for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
    if (doc.errors.length) throw new Error(`${file}: YAML error: ${doc.errors[0].message}`);
    const obj = doc.toJS();
    if (obj) objects.push(obj);
  }
  return objects;
}

async function selfTest() {
  const good = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' },
    spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{
      name: 'x', image: 'x', readinessProbe: { grpc: { port: 1 } }, livenessProbe: { grpc: { port: 1 } },
      resources: { requests: { cpu: '1', memory: '1Mi' }, limits: { memory: '1Mi' } },
      securityContext: { allowPrivilegeEscalation: false } }] } } },
  };
  const clone = () => structuredClone(good);
  const bad = [
    ['replicas is a string', o => { o.spec.replicas = 'two'; }],
    ['port without containerPort', o => { o.spec.template.spec.containers[0].ports = [{ name: 'grpc' }]; }],
    ['grpc probe port given by name', o => { o.spec.template.spec.containers[0].readinessProbe = { grpc: { port: 'grpc' } }; }],
    ['no liveness probe', o => { delete o.spec.template.spec.containers[0].livenessProbe; }],
    ['missing ConfigMap', o => { o.spec.template.spec.containers[0].envFrom = [{ configMapRef: { name: 'nope' } }]; }],
    ['Secret with a value', () => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { password: 'x' } })],
    ['unknown kind', () => ({ apiVersion: 'v1', kind: 'Deploymnet', metadata: { name: 'x' } })],
  ];
  let caught = 0;
  const base = await validateObjects('self-test good', [clone()]);
  if (base.failed) { console.error('self-test: the known-good object failed'); return 1; }
  for (const [name, mutate] of bad) {
    const o = clone();
    const result = await validateObjects(`self-test "${name}"`, [mutate(o) ?? o]);
    if (result.failed) caught++; else console.error(`self-test: "${name}" was NOT caught`);
  }
  console.log(`self-test: ${caught} of ${bad.length} planted mistakes caught`);
  return caught === bad.length ? 0 : 1;
}

const args = process.argv.slice(2);
if (args[0] === '--self-test') process.exit(await selfTest());
if (!args.length) { console.error('usage: node validate.mjs FILE... | --self-test'); process.exit(2); }
let ok = 0, failed = 0;
for (const file of args) {
  try {
    const r = await validateObjects(file, readObjects(file));
    ok += r.ok; failed += r.failed;
  } catch (e) { failed++; console.error(`  FAIL ${e.message}`); }
}
console.log(`schema: ${ok} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
