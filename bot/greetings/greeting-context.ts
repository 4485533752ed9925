import type { Huifang } from '../huifang.js';
import { UlidGenerator } from '../clocks.js';
import type { GreetingContext } from './greeting-planner.js';
import { PrismaGreetingStore } from './greeting-store.js';

/** The greeting use cases' context for the assembled service (the job and `huifang campaign`). */
export function greetingContext(app: Huifang): GreetingContext {
  return {
    ...app.greetings,
    store: new PrismaGreetingStore(app.db.prisma, new UlidGenerator(app.clock)),
    timeZone: app.config.timezone,
    org: app.deps.organisationName,
    // Same rule as surveys: a sandboxed channel next to a live one reaches nobody.
    usable: { sms: app.deps.customerChannels?.sms ?? true, wechat: app.deps.customerChannels?.wechat ?? true },
  };
}
