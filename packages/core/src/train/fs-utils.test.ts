import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { makeDirs, writeFileSynced } from './fs-utils';
import { JsonlLogger } from './jsonl-logger';

const linux = process.platform === 'linux';

describe('file errors name the file and the cause', () => {
  test.skipIf(!linux || !fs.existsSync('/dev/full'))('a full disk: "cannot write <file>: ENOSPC, no space left on the device"', () => {
    expect(() => writeFileSynced('/dev/full', 'x'.repeat(10_000))).toThrow('cannot write /dev/full: ENOSPC, no space left on the device');
  });

  test('a folder under a file is named', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-fs-'));
    fs.writeFileSync(path.join(dir, 'file'), '');
    expect(() => makeDirs(path.join(dir, 'file', 'run'), 'run folder')).toThrow(`cannot create run folder ${path.join(dir, 'file', 'run')}: ${path.join(dir, 'file')} is a file, not a folder`);
    makeDirs(path.join(dir, 'a', 'b', 'c'));
    expect(fs.statSync(path.join(dir, 'a', 'b', 'c')).isDirectory()).toBe(true);
    makeDirs(path.join(dir, 'a', 'b', 'c')); // exists: nothing to do
  });

  test.skipIf(!linux)('a folder that cannot be created names the folder and returns (Node\'s recursive mkdir spins forever under /proc)', () => {
    const started = Date.now();
    expect(() => makeDirs('/proc/lel-hostile-test/run/checkpoints', 'run folder')).toThrow(
      'cannot create run folder /proc/lel-hostile-test/run/checkpoints: ENOENT, no such file or directory (mkdir /proc/lel-hostile-test)',
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test.skipIf(!linux)('a read-only file system: EROFS and the folder, not ENOENT (needs root to mount a read-only tmpfs)', (ctx) => {
    const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-ro-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      fs.rmdirSync(mnt);
      ctx.skip();
      return;
    }
    try {
      const run = path.join(mnt, 'runs', 'a');
      expect(() => makeDirs(run, 'run folder')).toThrow(`cannot create run folder ${run}: EROFS, the file system is read-only (mkdir ${path.join(mnt, 'runs')})`);
      expect(() => new JsonlLogger(path.join(mnt, 'metrics.jsonl'))).toThrow(`cannot write ${path.join(mnt, 'metrics.jsonl')}: EROFS, the file system is read-only`);
    } finally {
      execFileSync('umount', [mnt]);
      fs.rmdirSync(mnt);
    }
  });
});
