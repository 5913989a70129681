// ecs-netaudit local run: IAM decisions by @cloud-copilot/iam-simulate, one JSON line in, one out.
// Started once per Python process by netaudit_local/iam/evaluator.py (argv[2]: the directory that
// holds node_modules). Requests:
//   {"op": "policies", "key": K, "policies": [{"name", "policy"}]}       identity policies of a role
//   {"op": "resourcePolicy", "key": K, "policy": {...}}                    e.g. a bucket policy
//   {"op": "decide", "principal": ARN, "policies": K, "resourcePolicy": K|null,
//    "action": "svc:Action", "resource": ARN|"*", "account": "123...", "context": {...}}
// Answers: {"ok": true} | {"result": "Allowed"|"ImplicitlyDenied"|"ExplicitlyDenied", "ignored": [...]}
//          | {"error": "..."} (a policy or request iam-simulate refuses: the caller fails loudly).
'use strict';
const path = require('path');
const readline = require('readline');
const { createRequire } = require('module');

const fromProject = createRequire(path.join(process.argv[2] || process.cwd(), 'package.json'));
const sim = fromProject('@cloud-copilot/iam-simulate');
const policyLib = fromProject('@cloud-copilot/iam-policy');
const dist = path.dirname(fromProject.resolve('@cloud-copilot/iam-simulate'));
// Internals used only for a request on resource "*" of an action that has resource types (e.g.
// ecs:ListTasks of a whole cluster): AWS matches that "*" literally (only a policy Resource "*"
// grants it), which iam-simulate does for wildcard-only actions; its public runSimulation would
// instead read "*" as "some resource" and let a container-instance/... statement grant it.
const core = require(path.join(dist, 'core_engine/CoreSimulatorEngine.js'));
const { AwsRequestImpl } = require(path.join(dist, 'request/request.js'));
const { RequestContextImpl } = require(path.join(dist, 'requestContext.js'));
const { normalizeSimulationParameters } = require(path.join(dist, 'simulation_engine/simulationEngine.js'));
const { DiscoveryContextKeyConstraints } = require(path.join(dist, 'context_keys/discoveryContextKeyConstraints.js'));

const identity = new Map(); // key -> [{name, policy}]
const resources = new Map(); // key -> policy

function simulation(msg) {
  const resourcePolicy = msg.resourcePolicy ? resources.get(msg.resourcePolicy) : undefined;
  return {
    request: {
      principal: msg.principal,
      action: msg.action,
      resource: { resource: msg.resource, accountId: msg.account },
      contextVariables: msg.context || {},
    },
    identityPolicies: identity.get(msg.policies) || [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(resourcePolicy ? { resourcePolicy } : {}),
  };
}

async function literalStar(s) {
  const { validContextValues, ignoredContextKeys } = await normalizeSimulationParameters(s, undefined);
  const analysis = core.authorize({
    request: new AwsRequestImpl(
      s.request.principal,
      { resource: '*', accountId: s.request.resource.accountId },
      s.request.action,
      new RequestContextImpl(validContextValues),
      true,
    ),
    sessionPolicy: undefined,
    identityPolicies: s.identityPolicies.map((p) => policyLib.loadPolicy(p.policy, { name: p.name })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: s.resourcePolicy ? policyLib.loadPolicy(s.resourcePolicy) : undefined,
    permissionBoundaries: undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: { simulationMode: 'Strict', discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]) },
    serviceSettings: { s3: { blockPublicAccess: undefined } },
  });
  return { result: analysis.result, ignored: ignoredContextKeys };
}

async function decide(msg) {
  const s = simulation(msg);
  const [service, action] = msg.action.split(':');
  if (msg.resource === '*' && !(await sim.isWildcardOnlyAction(service, action))) {
    return literalStar(s);
  }
  const r = await sim.runSimulation(s, { simulationMode: 'Strict' });
  if (r.resultType === 'error') return { error: JSON.stringify(r.errors) };
  if (r.resultType !== 'single') return { error: `not one resource: ${msg.resource}` };
  return { result: r.overallResult, ignored: r.result.ignoredContextKeys || [] };
}

async function handle(line) {
  const msg = JSON.parse(line);
  if (msg.op === 'policies') {
    const errors = {};
    for (const p of msg.policies) {
      const e = policyLib.validateIdentityPolicy(p.policy);
      if (e.length) errors[p.name] = e;
    }
    if (Object.keys(errors).length) return { error: JSON.stringify(errors) };
    // validated once here: runSimulation then skips re-validating them on every decision
    identity.set(msg.key, msg.policies.map((p) => ({
      name: p.name,
      policy: policyLib.createValidatedPolicy(p.policy, policyLib.validateIdentityPolicy, { name: p.name }),
    })));
    return { ok: true };
  }
  if (msg.op === 'resourcePolicy') {
    const e = policyLib.validateResourcePolicy(msg.policy);
    if (e.length) return { error: JSON.stringify(e) };
    resources.set(msg.key, policyLib.createValidatedPolicy(msg.policy, policyLib.validateResourcePolicy));
    return { ok: true };
  }
  if (msg.op === 'decide') return decide(msg);
  return { error: `unknown op ${msg.op}` };
}

// Warm-up while the local stack is being created: iam-simulate loads each service's data and
// compiles its paths on first use (about 0.2 s in all), which would otherwise land on the first
// decisions of the run. One throw-away decision per service, never cached anywhere.
const WARM = [
  ['ecs:ListTasks', '*'],
  ['ecs:DescribeTasks', 'arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef0123456789abcdef'],
  ['ssm:SendCommand', 'arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0'],
  ['s3:GetObject', 'arn:aws:s3:::b/k'],
  ['sns:Publish', 'arn:aws:sns:us-east-1:123456789012:t'],
  ['lambda:InvokeFunction', 'arn:aws:lambda:us-east-1:123456789012:function:f'],
];
async function warm() {
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
  identity.set('warm', [{ name: 'warm', policy }]);
  for (const [action, resource] of WARM) {
    await decide({ principal: 'arn:aws:sts::123456789012:assumed-role/warm/warm', policies: 'warm',
      action, resource, account: '123456789012', context: {} });
  }
  identity.delete('warm');
}

let chain = warm().catch(() => undefined);
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  chain = chain.then(async () => {
    let answer;
    try {
      answer = await handle(line);
    } catch (e) {
      answer = { error: String((e && e.stack) || e) };
    }
    process.stdout.write(JSON.stringify(answer) + '\n');
  });
});
