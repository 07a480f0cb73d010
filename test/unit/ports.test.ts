import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ephemeralRange, freePort, portInUse } from '../../controlplane/launcher/ports.js';

describe('control plane ports', () => {
  it('reads the ephemeral range, and none when there is no such file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'canopy-ports-'));
    try {
      writeFileSync(join(dir, 'range'), '32768\t60999\n');
      expect(ephemeralRange(join(dir, 'range'))).to.deep.equal({ low: 32768, high: 60999 });
      expect(ephemeralRange(join(dir, 'missing'))).to.equal(undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hands out distinct free ports outside the range outgoing connections use', async () => {
    const range = ephemeralRange();
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(new Set(ports).size, 'distinct').to.equal(20);
    for (const port of ports) {
      expect(await portInUse(port)).to.equal(false);
      if (range && range.low > 11_000) expect(port).to.be.below(range.low);
    }
  });
});
