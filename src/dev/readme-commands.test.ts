import { expect } from 'chai';
import { kubectlCommands, readmeCommands } from './readme-commands.js';

describe('README command extraction', () => {
  it('takes the kubectl lines of shell blocks in order, without trailing comments', () => {
    const md = [
      'Text with kubectl apply -f nothing.yaml',
      '```sh',
      'export KUBECONFIG=x',
      'kubectl apply -f a.yaml   # first',
      "kubectl wait lc/x --for=jsonpath='{.status.phase}'=Ready",
      '```',
      '```yaml',
      'kubectl: not a command',
      '```',
      '```bash',
      'kubectl get canopy',
      '```',
    ].join('\n');
    expect(kubectlCommands(md)).to.deep.equal(['kubectl apply -f a.yaml', "kubectl wait lc/x --for=jsonpath='{.status.phase}'=Ready", 'kubectl get canopy']);
  });
});

describe('README command extraction with the plugin', () => {
  it('also takes `npx kubectl-canopy` lines, in README order, and nothing else run through npx', () => {
    const md = ['```sh', 'kubectl apply -f a.yaml', 'npx kubectl-canopy tree org   # the tree', 'npx tsc', 'kubectl get ns', '```'].join('\n');
    expect(readmeCommands(md)).to.deep.equal(['kubectl apply -f a.yaml', 'npx kubectl-canopy tree org', 'kubectl get ns']);
    expect(kubectlCommands(md)).to.deep.equal(['kubectl apply -f a.yaml', 'kubectl get ns']);
  });
});
