/** The Kubernetes manifests (deploy/k8s) against the processes they run; schema validity is kubeconform's (deploy/k8s/validate.sh). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CONFIG_VARIABLES } from '../../config';
import { SHUTDOWN_FORCE_SECONDS } from '../../worker/shutdown';
import { builtCommands, ROOT } from './manifests';

const DIR = path.join(ROOT, 'deploy/k8s');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML, checked field by field below
type Doc = Record<string, any>;
const docs: Doc[] = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).flatMap((f) =>
  parseAllDocuments(readFileSync(path.join(DIR, f), 'utf8')).map((d) => ({ ...d.toJS(), file: f })));
const find = (kind: string, name: string) => {
  const doc = docs.find((d) => d.kind === kind && d.metadata?.name === name);
  assert.ok(doc, `${kind} ${name} in deploy/k8s`);
  return doc;
};
const configMap = find('ConfigMap', 'forewarn-config');
const secret = find('Secret', 'forewarn-secrets');
const built = builtCommands().map((c) => c.join(' '));

test('every variable the ConfigMap and the Secret set is one the config module reads, DATABASE_URL among the secrets', () => {
  const known = new Set<string>(CONFIG_VARIABLES);
  for (const keys of [Object.keys(configMap.data), Object.keys(secret.stringData)]) assert.deepEqual(keys.filter((k) => !known.has(k)), []);
  assert.ok(secret.stringData.DATABASE_URL && secret.stringData.API_TOKENS);
  assert.equal(configMap.data.NODE_ENV, 'production');
});

for (const [name, entry, portVar] of [['forewarn-api', 'dist/api/main.js', 'PORT'], ['forewarn-worker', 'dist/worker/main.js', 'WORKER_HEALTH_PORT']] as const) {
  test(`${name}: runs the build output, probed on /health, with resources, graceful termination and a disruption budget`, () => {
    const deployment = find('Deployment', name);
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    assert.deepEqual(container.command.filter((a: string) => !a.startsWith('--')), ['node', entry]);
    if (name === 'forewarn-worker') assert.ok(container.command.includes('--max-old-space-size=256'), 'the worker heap is bounded');
    assert.ok(built.includes(`node ${entry}`), `npm run build compiles ${entry}`);
    assert.deepEqual(container.envFrom, [{ configMapRef: { name: 'forewarn-config' } }, { secretRef: { name: 'forewarn-secrets' } }]);

    const port = container.ports.find((p: Doc) => p.containerPort === Number(configMap.data[portVar]));
    assert.ok(port, `the container exposes ${portVar}=${configMap.data[portVar]}`);
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      assert.equal(container[probe]?.httpGet?.path, '/health', `${probe} on /health`);
      assert.ok([port.name, port.containerPort].includes(container[probe].httpGet.port), `${probe} on the health port`);
    }
    assert.ok(container.resources.requests.cpu && container.resources.requests.memory && container.resources.limits.memory);
    assert.ok(pod.terminationGracePeriodSeconds > SHUTDOWN_FORCE_SECONDS, 'the kill comes after the worker gave up draining');
    assert.ok(deployment.spec.replicas >= 2);

    const labels = deployment.spec.template.metadata.labels;
    assert.deepEqual(deployment.spec.selector.matchLabels, labels);
    const budget = find('PodDisruptionBudget', name);
    assert.deepEqual(budget.spec.selector.matchLabels, labels);
  });
}

test('the migrate job runs the compiled migrations with the same configuration', () => {
  const job = find('Job', 'forewarn-migrate');
  const [container] = job.spec.template.spec.containers;
  assert.deepEqual(container.command, ['node', 'dist/scripts/migrate.js']);
  assert.ok(built.includes('node dist/scripts/migrate.js'));
  assert.deepEqual(container.envFrom, [{ configMapRef: { name: 'forewarn-config' } }, { secretRef: { name: 'forewarn-secrets' } }]);
  assert.equal(job.spec.template.spec.restartPolicy, 'Never');
});

test('the kustomization lists files that exist, and never the secret template', () => {
  const kustomization = docs.find((d) => d.kind === 'Kustomization');
  assert.ok(kustomization);
  for (const file of kustomization.resources) assert.ok(existsSync(path.join(DIR, file)), file);
  assert.ok(!kustomization.resources.includes('secret.example.yaml'));
});
