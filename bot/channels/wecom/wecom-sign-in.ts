import type { WecomSignIn } from '../../core/ports/console-auth.js';
import type { Logger } from '../../logger.js';
import { ChannelError } from '../../core/errors.js';
import type { WecomClient } from './wecom-client.js';

/**
 * Console sign-in through WeCom: the OAuth2 link inside WeCom's own browser, the Web (QR-code) login
 * on a desktop browser, and the code exchanged for the member's UserID (docs/protocols/wecom.md §11).
 * A code WeCom refuses (used, expired, forged) or a visitor who is not a member signs nobody in.
 */
export function createWecomSignIn(client: WecomClient, logger?: Logger): WecomSignIn {
  return {
    authorizeUrl(method, redirectUri, state) {
      const urls = client.signInUrls(redirectUri, state);
      return method === 'oauth' ? urls.inApp : urls.webLogin;
    },
    async userIdOf(code) {
      try {
        const info = await client.getUserInfo(code);
        return info.ok ? info.userid : null;
      } catch (err) {
        // A permanent refusal (40029: invalid or used code) is an answer; anything else is a failure to report.
        if (err instanceof ChannelError && err.kind === 'permanent') return null;
        logger?.error({ err }, 'wecom sign-in: could not exchange the code');
        throw err;
      }
    },
  };
}
