// `npm run sim:wecom [-- --port 3900 --service http://127.0.0.1:3000 --sign-in URL --trusted-domain HOST[:PORT]]`:
// starts the standalone WeCom simulator (standalone.ts), prints the variables to export for `npm start`,
// and runs until Ctrl-C.
// Credentials are kept in data/wecom-simulator.json so a restart keeps them (delete it for new ones).
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { startStandaloneWecom } from './standalone.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '3900' },
    service: { type: 'string', default: 'http://127.0.0.1:3000' },
    credentials: { type: 'string', default: join(process.cwd(), 'data', 'wecom-simulator.json') },
    // The Huifang page that starts a WeCom sign-in [the service's root].
    'sign-in': { type: 'string' },
    // 可信域名 the sign-in may redirect to; repeatable [the service's host:port].
    'trusted-domain': { type: 'string', multiple: true },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('--port must be a port number');
  process.exit(2);
}
const running = await startStandaloneWecom({
  port,
  serviceUrl: values.service!,
  credentialsFile: values.credentials!,
  ...(values['sign-in'] ? { signInUrl: values['sign-in'] } : {}),
  ...(values['trusted-domain']?.length ? { trustedDomains: values['trusted-domain'] } : {}),
});
const exports = Object.entries(running.env)
  .map(([name, value]) => `export ${name}=${value}`)
  .join('\n');
console.log(`WeCom simulator on ${running.sim.baseUrl} (loopback only). These credentials are made up and work only here.

1. In another terminal, start Huifang against it:

${exports}
npx huifang seed-example      # the example organisation (its members are the simulator's members)
npm start

2. Create a case whose follow-up is due (README: "Trying WeCom without a company account"), then run
   npx huifang jobs run all   (or wait for the next minute's tick)

3. Open ${running.pageUrl} — each member's cards and messages; tapping a button sends the signed,
   encrypted template_card_event to ${running.callbackUrl}.

4. Signing in to the console (管理台) with WeCom: 「用企业微信登录」 on a member's column makes them the
   person using WeCom and opens ${running.signInUrl}, which signs them in silently through the
   simulator's OAuth2 page (WECOM_OAUTH_BASE above). On ${running.env.PUBLIC_BASE_URL}/console/login,
   「企业微信扫码登录」 opens the simulator's Web login page (WECOM_SSO_BASE), where you pick the member who
   "scans". Trusted domains (可信域名): ${[...running.sim.trustedDomains].join(', ')}.

Members: ${running.sim.users.join(', ')}
Credentials kept in ${values.credentials} (delete it for new ones). Ctrl-C stops the simulator.`);
const stop = () => void running.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
