// The stores commands may come from, each with its terminals.
import type { StoreRecord, StoresRepository } from "../repositories/stores.ts";

export function createStoreUseCases(stores: StoresRepository) {
  return {
    async listStores(): Promise<{ stores: StoreRecord[] }> {
      return { stores: await stores.list() };
    },
  };
}

export type StoreUseCases = ReturnType<typeof createStoreUseCases>;
