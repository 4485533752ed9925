/**
 * deploy/ stays in step with what CI runs and with the configuration the service knows. No Docker
 * engine runs in CI, so the Dockerfile may only run install commands that .ci/run (or a package.json
 * script) also runs — then a green CI vouches for them — and compose.yaml may only set variables that
 * bot/config.ts declares, with values it accepts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../bot/config.js';
import { assertSandboxNotExposed, type ServiceRole } from '../../bot/sandbox-exposure.js';

const ROOT = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The Dockerfile's RUN instructions, continuation lines joined, split into single commands. */
function dockerRunCommands(dockerfile: string): string[] {
  const joined = dockerfile.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => /^RUN\s/i.test(line))
    .flatMap((line) => line.replace(/^RUN\s+/i, '').split(/&&|;/))
    .map((command) => command.trim().replace(/\s+/g, ' '))
    .filter((command) => command !== '');
}

/** A command without leading `VAR=value` assignments. */
function withoutEnvPrefix(command: string): string {
  return command.replace(/^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+/, '');
}

/** Packages .ci/run installs with apt-get (it collects them as `missing+=(name)`). */
function ciAptPackages(ciRun: string): Set<string> {
  return new Set([...ciRun.matchAll(/missing\+=\(([^)]+)\)/g)].map((m) => m[1]!.trim()));
}

/** Variable names declared in bot/config.ts's environment schema (`const envSchema = z.object({ … })`). */
function configVariables(source: string): Set<string> {
  const start = source.indexOf('const envSchema = z.object({');
  const end = source.indexOf('\n});', start);
  expect(start, 'envSchema declaration in bot/config.ts').toBeGreaterThan(-1);
  const block = source.slice(start, end);
  return new Set([...block.matchAll(/^\s{2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]!));
}

describe('deploy/Dockerfile', () => {
  const commands = dockerRunCommands(read('deploy/Dockerfile')).map(withoutEnvPrefix);
  const ciRun = read('.ci/run');
  const ciLines = ciRun.split('\n').map((line) => withoutEnvPrefix(line.trim().replace(/\s+/g, ' ')));
  const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);

  it('runs npm ci exactly as CI does', () => {
    expect(commands).toContain('npm ci --no-audit --no-fund');
  });

  it('runs only npm commands that CI runs or package.json defines', () => {
    const npm = commands.filter((c) => /^npm\s/.test(c));
    expect(npm.length).toBeGreaterThan(0);
    for (const command of npm) {
      const script = /^npm run (\S+)/.exec(command)?.[1];
      const known = script !== undefined ? scripts.includes(script) : ciLines.includes(command);
      expect(known, `"${command}" is neither in .ci/run nor a package.json script`).toBe(true);
    }
  });

  it('runs only apt commands that CI runs, for packages CI installs', () => {
    const apt = commands.filter((c) => /^apt(-get)?\s/.test(c));
    const packages = ciAptPackages(ciRun);
    expect(packages.size).toBeGreaterThan(0);
    for (const command of apt) {
      const [, verb, ...rest] = command.split(' ');
      expect(ciRun, `.ci/run runs apt-get ${verb}`).toMatch(new RegExp(`apt-get (?:-\\S+ )*${verb}\\b`));
      if (verb === 'install') {
        for (const name of rest.filter((word) => !word.startsWith('-'))) {
          expect(packages.has(name), `apt package ${name} is not one .ci/run installs`).toBe(true);
        }
      }
    }
  });

  it('installs the CJK font for the report chart, and no browser', () => {
    const installed = commands.filter((c) => /^apt-get install /.test(c)).flatMap((c) => c.split(' '));
    expect(installed).toContain('fonts-noto-cjk');
    expect(installed).not.toContain('chromium');
  });

  it('starts the service with huifang start', () => {
    expect(read('deploy/Dockerfile')).toMatch(/^CMD \["node", "bin\/huifang\.mjs", "start"\]$/m);
  });
});

describe('deploy/compose.yaml', () => {
  const compose = parse(read('deploy/compose.yaml'), { merge: true }) as {
    services: Record<string, { image?: string; build?: { dockerfile?: string }; command?: string[]; environment?: Record<string, string>; stop_grace_period?: string }>;
  };
  const replicas = Object.entries(compose.services).filter(([, service]) => service.build?.dockerfile === 'deploy/Dockerfile');
  const known = configVariables(read('bot/config.ts'));
  /** The `--role` of a Huifang service's command (the Dockerfile's CMD, `all`, when it has none). */
  const roleOf = (command: string[] | undefined) => {
    if (command === undefined) return 'all';
    expect(command.slice(0, 3)).toEqual(['node', 'bin/huifang.mjs', 'start']);
    return command[3] === '--role' ? command[4] : 'all';
  };

  it('has PostgreSQL 15, two Huifang web replicas and one job process', () => {
    expect(Object.values(compose.services).some((service) => service.image === 'postgres:15')).toBe(true);
    expect(replicas.map(([, service]) => roleOf(service.command)).sort()).toEqual(['jobs', 'web', 'web']);
  });

  it('gives every Huifang process a stop grace period longer than its shutdown deadline', () => {
    for (const [name, service] of replicas) {
      const grace = Number(/^(\d+)s$/.exec(service.stop_grace_period ?? '10s')?.[1]);
      expect(loadConfig(service.environment ?? {}).shutdownTimeoutMs, name).toBeLessThan(grace * 1000);
    }
  });

  it('gives the replicas one DATABASE_URL, on PostgreSQL, and ports of their own', () => {
    const urls = new Set(replicas.map(([, service]) => service.environment?.DATABASE_URL));
    expect(urls.size).toBe(1);
    expect([...urls][0]).toMatch(/^postgresql:\/\//);
    const ports = new Set(replicas.map(([, service]) => service.environment?.PORT));
    expect(ports.size).toBe(replicas.length);
  });

  it('sets only variables bot/config.ts knows, with values it accepts', () => {
    expect(known.has('DATABASE_URL') && known.has('WECOM_CORP_ID')).toBe(true);
    for (const [name, service] of replicas) {
      const env = service.environment ?? {};
      for (const variable of Object.keys(env)) expect(known.has(variable), `${name}: ${variable} is not a Huifang variable`).toBe(true);
      expect(() => loadConfig(env), name).not.toThrow();
      // The image sets HOST=0.0.0.0: huifang start must accept the address for this configuration.
      expect(() => assertSandboxNotExposed(loadConfig({ HOST: '0.0.0.0', ...env }), roleOf(service.command) as ServiceRole), name).not.toThrow();
    }
  });
});
