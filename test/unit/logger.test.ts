import { describe, it, expect } from 'vitest';
import { createLogger, maskPhoneInText, type DestinationStream, type Logger } from '../../bot/logger.js';

function collectingLogger(level = 'info'): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const written: string[] = [];
  const destination: DestinationStream = { write: (chunk: string) => void written.push(chunk) };
  const logger = createLogger({ level, destination });
  return { logger, lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

function onlyLine(lines: Record<string, unknown>[]): Record<string, unknown> {
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('createLogger', () => {
  it('masks phone numbers and redacts secrets by path', () => {
    const { logger, lines } = collectingLogger();
    logger.info(
      {
        phone: '13812345678',
        customer: { phone: '+8613812345678', name: '张三' },
        event: { sender: { mobile: '139 8765 4321' } },
        secret: 'wecom-secret-value',
        outbox: { to: ['+8615011112222', 'zhangsan'], accessToken: 'tok-123' },
        reply: { text: '满意' },
        caseId: 'c1',
      },
      'follow-up sent',
    );
    const line = onlyLine(lines());
    expect(line.msg).toBe('follow-up sent');
    expect(line.phone).toBe('138****5678');
    expect(line.customer).toEqual({ phone: '138****5678', name: '张三' });
    expect(line.event).toEqual({ sender: { mobile: '139****4321' } });
    expect(line.secret).toBe('[redacted]');
    expect(line.outbox).toEqual({ to: ['150****2222', '[redacted]'], accessToken: '[redacted]' });
    expect(line.reply).toEqual({ text: '[redacted]' });
    expect(line.caseId).toBe('c1');
  });

  it('redacts non-mobile phone-like values and request credentials', () => {
    const { logger, lines } = collectingLogger();
    logger.info(
      {
        phone: '+442079460958',
        req: { method: 'POST', headers: { authorization: 'Bearer abcdefghijklmnop', cookie: 'sid=1', 'user-agent': 'curl' } },
      },
      'request',
    );
    const line = onlyLine(lines());
    expect(line.phone).toBe('[redacted]');
    expect(line.req).toEqual({ method: 'POST', headers: { authorization: '[redacted]', cookie: '[redacted]', 'user-agent': 'curl' } });
  });

  it('redacts child bindings and keeps absent or null keys as they are', () => {
    const { logger, lines } = collectingLogger();
    logger.child({ token: 'abc', job: 'push-due-follow-ups' }).info({ customer: { phone: null } }, 'job ran');
    const line = onlyLine(lines());
    expect(line.token).toBe('[redacted]');
    expect(line.job).toBe('push-due-follow-ups');
    expect(line.customer).toEqual({ phone: null });
    expect(line).not.toHaveProperty('secret');
  });

  it('serialises err and masks phone numbers in its message and in the log message', () => {
    const { logger, lines } = collectingLogger();
    logger.error({ err: new Error('unknown recipient 13812345678') }, 'send failed for 13912345678');
    const line = onlyLine(lines());
    expect(line.msg).toBe('send failed for 139****5678');
    const err = line.err as Record<string, unknown>;
    expect(err.type).toBe('Error');
    expect(err.message).toBe('unknown recipient 138****5678');
    expect(JSON.stringify(line)).not.toContain('13812345678');
  });

  it('honours the level', () => {
    const { logger, lines } = collectingLogger('warn');
    logger.info('hidden');
    logger.warn('shown');
    expect(lines().map((l) => l.msg)).toEqual(['shown']);
  });
});

describe('maskPhoneInText', () => {
  it.each([
    ['请联系13812345678', '请联系138****5678'],
    ['call +8613812345678 or 86-139 8765 4321.', 'call 138****5678 or 139****4321.'],
    ['138-1234-5678/15011112222', '138****5678/150****2222'],
    ['订单号 2013812345678 不是手机号', '订单号 2013812345678 不是手机号'],
    ['12345678901 and 10086', '12345678901 and 10086'],
    ['no numbers here', 'no numbers here'],
  ])('%s → %s', (input, expected) => {
    expect(maskPhoneInText(input)).toBe(expected);
  });
});

describe('createLogger, readable lines', () => {
  function prettyLogger(level = 'info'): { logger: Logger; lines: () => string[] } {
    const written: string[] = [];
    const destination: DestinationStream = { write: (chunk: string) => void written.push(chunk) };
    const logger = createLogger({ level, destination, format: 'pretty', timeZone: 'Asia/Shanghai' });
    return { logger, lines: () => written.join('').split('\n').filter((l) => l !== '') };
  }

  it('writes local time with its offset, the level, the message and the fields', () => {
    const { logger, lines } = prettyLogger();
    const before = Date.now();
    logger.info({ url: 'http://localhost:3000', port: 3000, channels: ['sms'], note: 'two words' }, 'Huifang listening');
    const [line] = lines();
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00 INFO  Huifang listening url=http:\/\/localhost:3000 port=3000 channels=\["sms"\] note="two words"$/);
    const shown = Date.parse(line!.slice(0, 29));
    expect(Math.abs(shown - before)).toBeLessThan(5_000);
    expect(line).not.toMatch(/pid=|hostname=|level=|"time"/);
  });

  it('redacts before formatting: masked phones, redacted secrets, in fields, bindings and the message', () => {
    const { logger, lines } = prettyLogger();
    logger
      .child({ token: 'abc' })
      .warn({ phone: '13812345678', customer: { phone: '+8613812345678' }, secret: 'wecom-secret-value', reply: { text: '满意' } }, 'call 13912345678');
    const [line] = lines();
    expect(line).toContain('WARN  call 139****5678');
    expect(line).toContain('token=[redacted]');
    expect(line).toContain('phone=138****5678');
    expect(line).toContain('customer={"phone":"138****5678"}');
    expect(line).toContain('secret=[redacted]');
    expect(line).toContain('reply={"text":"[redacted]"}');
    expect(lines().join('\n')).not.toMatch(/13812345678|13912345678|wecom-secret-value|满意|abc/);
  });

  it('prints an error’s stack below its line, phone numbers masked', () => {
    const { logger, lines } = prettyLogger();
    const err = Object.assign(new Error('unknown recipient 13812345678'), { code: 'UNKNOWN_USER' });
    logger.error({ err, outboxId: 'o1' }, 'send failed');
    const [line, stackHead, ...stack] = lines();
    expect(line).toMatch(/ ERROR send failed outboxId=o1 err\.code=UNKNOWN_USER$/);
    expect(stackHead).toBe('    Error: unknown recipient 138****5678');
    expect(stack[0]).toMatch(/^ {4}at /);
  });

  it('honours the level', () => {
    const { logger, lines } = prettyLogger('warn');
    logger.info('hidden');
    logger.warn('shown');
    expect(lines()).toEqual([expect.stringMatching(/ WARN  shown$/)]);
  });

  it('writes JSON to an explicit destination unless pretty is asked for', () => {
    const written: string[] = [];
    createLogger({ level: 'info', destination: { write: (chunk: string) => void written.push(chunk) } }).info({ port: 1 }, 'json');
    expect(JSON.parse(written[0]!)).toMatchObject({ level: 30, msg: 'json', port: 1 });
  });
});
