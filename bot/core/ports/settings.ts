/** Values the service keeps for itself in the database (a generated secret), shared by every replica. */
export interface SettingStore {
  /**
   * The value under `key`; when there is none, stores `initial()` and returns it. Two replicas asking
   * at once get the same value (the first one stored wins).
   */
  getOrCreateSetting(key: string, initial: () => string): Promise<string>;
}
