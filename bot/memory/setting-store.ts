import type { SettingStore } from '../core/ports/settings.js';
import type { MemoryState } from './memory-state.js';

/** `SettingStore` in memory: the first value stored under a key is the one every caller gets. */
export class MemorySettingStore implements SettingStore {
  constructor(private readonly state: MemoryState) {}

  async getOrCreateSetting(key: string, initial: () => string): Promise<string> {
    return this.state.transact((tx) => (tx.setting.get(key) ?? tx.setting.insert({ key, value: initial() })).value);
  }
}
