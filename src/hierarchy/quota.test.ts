import { expect } from 'chai';
import { Forest } from './forest.js';
import { formatQuantity } from '../kube/quantity.js';
import { checkFits, checkFitsBudget, quotaChain, remainingBudget, subtreeUsage } from './quota.js';
import { toResourceList } from '../kube/resource-list.js';

describe('hierarchical quota', () => {
  describe('checkFits', () => {
    const acme = { workspace: 'acme', hard: { 'requests.cpu': '10', memory: '8Gi', pods: 20 } };

    it('accepts a request that fits, and ignores resources the cap does not name', () => {
      expect(checkFits(acme, { cpu: '9', 'requests.memory': '4Gi' }, { cpu: '1', 'limits.cpu': '100' })).to.deep.equal({ ok: true });
      expect(checkFits(acme, undefined, { 'requests.memory': '8Gi' })).to.deep.equal({ ok: true });
    });

    it('names the budget, what is used and what is left', () => {
      const result = checkFits(acme, { 'requests.cpu': '9500m', 'requests.memory': '7Gi' }, { cpu: '1', memory: '512Mi' });
      expect(result.ok).to.equal(false);
      if (!result.ok) {
        expect(result.message).to.equal('requests.cpu: requesting 1 exceeds the quota of workspace acme (hard 10, used 9500m, 500m left)');
        expect(result.exceeded.map((b) => b.resource)).to.deep.equal(['requests.cpu']);
      }
    });

    it('reports 0 left, not a negative amount, when usage is already over a lowered cap', () => {
      const result = checkFits({ workspace: 'acme', hard: { pods: '2' } }, { pods: '3' }, { pods: '1' });
      expect(result.ok).to.equal(false);
      if (!result.ok) expect(result.message).to.equal('pods: requesting 1 exceeds the quota of workspace acme (hard 2, used 3, 0 left)');
    });
  });

  describe('remainingBudget', () => {
    it('picks, per resource, the level with the least left', () => {
      const budget = remainingBudget([
        { workspace: 'acme', hard: { cpu: '100', memory: '64Gi' }, used: { 'requests.cpu': '95', 'requests.memory': '10Gi' } },
        { workspace: 'team', hard: { cpu: '20', memory: '16Gi' }, used: { cpu: '2', memory: '15Gi' } },
      ]);
      const cpu = budget.get('requests.cpu')!;
      expect([cpu.workspace, formatQuantity(cpu.remaining)]).to.deep.equal(['acme', '5']);
      const memory = budget.get('requests.memory')!;
      expect([memory.workspace, formatQuantity(memory.remaining)]).to.deep.equal(['team', '1Gi']);
      const fit = checkFitsBudget(budget, { cpu: '6', memory: '1Gi' });
      expect(fit.ok).to.equal(false);
      if (!fit.ok) expect(fit.message).to.equal('requests.cpu: requesting 6 exceeds the quota of workspace acme (hard 100, used 95, 5 left)');
      expect(checkFitsBudget(budget, { cpu: '5', memory: '1Gi' })).to.deep.equal({ ok: true });
    });
  });

  describe('subtreeUsage', () => {
    it('sums every namespace of a subtree once, LogicalCluster namespaces included', () => {
      const forest = new Forest();
      forest.setWorkspace('acme', '', { constraints: { quota: { hard: { cpu: '10' } } } });
      forest.setWorkspace('team', 'acme', { constraints: { quota: { hard: { cpu: '4' } } } });
      forest.setWorkspace('app', 'team');
      forest.setWorkspace('other', '');
      forest.attachNamespace('shop', 'team', 'shop');
      forest.setWorkspace('loop', 'loop');
      const used: Record<string, Record<string, string>> = {
        acme: { 'requests.cpu': '1' },
        team: { cpu: '500m' },
        shop: { 'requests.cpu': '1', pods: '3' },
        app: { 'requests.cpu': '2', pods: '1' },
        other: { 'requests.cpu': '7' },
        loop: { 'requests.cpu': '1' },
      };
      const usage = subtreeUsage(forest, (ns) => used[ns]);
      expect(toResourceList(usage.get('acme')!)).to.deep.equal({ pods: '4', 'requests.cpu': '4500m' });
      expect(toResourceList(usage.get('team')!)).to.deep.equal({ pods: '4', 'requests.cpu': '3500m' });
      expect(toResourceList(usage.get('app')!)).to.deep.equal({ pods: '1', 'requests.cpu': '2' });
      expect(toResourceList(usage.get('other')!)).to.deep.equal({ 'requests.cpu': '7' });
      expect(usage.has('loop')).to.equal(false);

      const budget = remainingBudget(quotaChain(forest, 'app', usage));
      expect(budget.get('requests.cpu')!.workspace).to.equal('team');
      expect(formatQuantity(budget.get('requests.cpu')!.remaining)).to.equal('500m');
      const fit = checkFitsBudget(budget, { cpu: '600m' });
      expect(fit.ok).to.equal(false);
      if (!fit.ok) expect(fit.message).to.equal('requests.cpu: requesting 600m exceeds the quota of workspace team (hard 4, used 3500m, 500m left)');
    });
  });
});
