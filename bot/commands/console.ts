import { parseArgs } from 'node:util';
import { consoleOutput, type CommandOutput } from './command-output.js';
import { withApp as defaultWithApp, type WithApp } from './with-app.js';
import { createSignInLink, SIGN_IN_LINK_MINUTES } from '../console/sign-in.js';
import { accessOf } from '../core/console/access.js';

export const CONSOLE_USAGE = `Usage:
  huifang console link --bootstrap-admin [--name NAME] [--json]   create the first administrator [named 管理员] (only while there is none) and print a sign-in link
  huifang console link --user WECOM_USERID [--json]               print a sign-in link for a staff member (their console account is created if needed)`;

/**
 * \`huifang console link\`: a single-use sign-in link to the console, valid ${SIGN_IN_LINK_MINUTES} minutes. With
 * \`--bootstrap-admin\` it first creates an administrator account, but only while no active administrator
 * exists (the first start of a new installation); with \`--user\` the link is for an existing, active
 * staff member. Exit codes: 0 printed, 1 refused (the message says why), 2 usage error.
 */
export async function runConsoleCommand(argv: string[], withApp: WithApp = defaultWithApp, output: CommandOutput = consoleOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h', default: false }, 'bootstrap-admin': { type: 'boolean', default: false }, user: { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean', default: false } } });
  } catch (err) {
    output.err(`${(err as Error).message}\n${CONSOLE_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    output.out(CONSOLE_USAGE);
    return 0;
  }
  const bootstrap = values['bootstrap-admin'] ?? false;
  if (positionals[0] !== 'link' || positionals.length !== 1 || bootstrap === (values.user !== undefined) || (values.name !== undefined && !bootstrap)) {
    output.err(CONSOLE_USAGE);
    return 2;
  }
  return withApp(async (app) => {
    const now = app.clock.now();
    let userId: string;
    let who: string;
    if (bootstrap) {
      const admin = await app.console.auth.createFirstAdmin({ id: app.deps.ids.next(), name: values.name ?? '管理员', at: now });
      if (!admin) {
        output.err('An administrator already exists. Ask them for a link (设置 → 管理台账号), or use: huifang console link --user WECOM_USERID');
        return 1;
      }
      await app.deps.audit.record({ at: now, actorType: 'SYSTEM', actorId: null, action: 'console.admin_bootstrapped', entityType: 'ConsoleUser', entityId: admin.id, details: { via: 'huifang console link --bootstrap-admin' } });
      userId = admin.id;
      who = `the new administrator "${admin.name}"`;
    } else {
      const staff = await app.deps.org.findStaffByWecomUserId(values.user!);
      if (!staff || !staff.active) {
        output.err(`No active staff member has the WeCom UserID "${values.user}". Import staff first (huifang import staff) or check the spelling.`);
        return 1;
      }
      const account = await app.console.auth.ensureStaffConsoleUser({ id: app.deps.ids.next(), staffId: staff.id, name: staff.name, at: now });
      if (!accessOf(account, await app.deps.org.loadOrgSnapshot())) {
        output.err(`The console account of ${staff.name} is deactivated.`);
        return 1;
      }
      userId = account.id;
      who = staff.name;
    }
    const link = await createSignInLink(app, userId);
    await app.deps.audit.record({ at: now, actorType: 'SYSTEM', actorId: null, action: 'console.link_created', entityType: 'ConsoleUser', entityId: userId, details: { via: 'huifang console link', expiresAt: link.expiresAt.toISOString() } });
    if (values.json) output.out(JSON.stringify({ url: link.url, expiresAt: link.expiresAt.toISOString(), userId }));
    else {
      output.out(link.url);
      output.err(`Single-use sign-in link for ${who}, valid ${SIGN_IN_LINK_MINUTES} minutes (until ${link.expiresAt.toISOString()}). Hand it over privately.`);
    }
    return 0;
  });
}
