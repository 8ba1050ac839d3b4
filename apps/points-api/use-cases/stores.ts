// The stores commands may come from, each with its terminals.
import type { StoresRepository, StoreView } from "../repositories/stores.ts";

export function createStoreUseCases(stores: StoresRepository) {
  return {
    async listStores(): Promise<{ stores: StoreView[] }> {
      return { stores: await stores.list() };
    },
  };
}

export type StoreUseCases = ReturnType<typeof createStoreUseCases>;
