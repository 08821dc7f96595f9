import { describe, expect, it } from 'vitest';
import { classifySqliteError, FILE_GONE_CODE } from '../../src/store/sqlite/faults.js';
import { createStoreHealth, type StoreStatus, StoreUnavailableError } from '../../src/store/store-health.js';

describe('createStoreHealth', () => {
  it('recovers from a passing fault and tells each change of state once', () => {
    const health = createStoreHealth();
    const seen: StoreStatus['state'][] = [];
    health.onChange((status) => seen.push(status.state));
    expect(health.refusal()).toBeNull();
    const refusal = health.fail('disk_full', new Error('database or disk is full'), { lasting: false });
    expect(refusal).toBeInstanceOf(StoreUnavailableError);
    expect(refusal).toMatchObject({ fault: 'disk_full', message: expect.stringMatching(/disk is full/) });
    health.fail('disk_full', new Error('again'), { lasting: false });
    health.recover();
    expect(health.status()).toEqual({ state: 'ok' });
    expect(seen).toEqual(['fault', 'ok']);
  });

  it('keeps a lasting fault through recoveries and later faults', () => {
    const health = createStoreHealth();
    health.fail('io_error', new Error('EIO'), { lasting: true });
    health.recover();
    health.fail('disk_full', new Error('full'), { lasting: false });
    expect(health.status()).toMatchObject({ state: 'fault', fault: 'io_error', lasting: true });
    expect(health.refusal()?.message).toMatch(/restart timhook/);
  });
});

describe('classifySqliteError', () => {
  it('tells a full disk from an I/O error and a lost file, and leaves other errors alone', () => {
    expect(classifySqliteError({ code: 'SQLITE_FULL' })).toEqual({ fault: 'disk_full', lasting: false });
    expect(classifySqliteError({ code: 'ENOSPC' })).toEqual({ fault: 'disk_full', lasting: false });
    expect(classifySqliteError({ code: 'SQLITE_IOERR_FSYNC' })).toEqual({ fault: 'io_error', lasting: true });
    expect(classifySqliteError({ code: 'SQLITE_CORRUPT' })).toEqual({ fault: 'io_error', lasting: true });
    expect(classifySqliteError({ code: FILE_GONE_CODE })).toEqual({ fault: 'file_gone', lasting: true });
    expect(classifySqliteError({ code: 'SQLITE_CONSTRAINT_UNIQUE' })).toBeNull();
    expect(classifySqliteError(new Error('no code'))).toBeNull();
  });
});
