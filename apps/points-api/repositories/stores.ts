// Stores and their terminals: points-api's own tables, the places a command may come from.
import type { Db } from "../../shared/db/client.ts";

export interface TerminalView {
  id: string;
  name: string;
}

export interface StoreView {
  id: string;
  name: string;
  terminals: TerminalView[];
}

export function createStoresRepository(db: Db) {
  return {
    async list(): Promise<StoreView[]> {
      const stores = await db.store.findMany({
        orderBy: { id: "asc" },
        include: { terminals: { orderBy: { id: "asc" } } },
      });
      return stores.map((s) => ({
        id: s.id,
        name: s.name,
        terminals: s.terminals.map((t) => ({ id: t.id, name: t.name })),
      }));
    },

    async exists(id: string): Promise<boolean> {
      return (await db.store.count({ where: { id } })) > 0;
    },

    /** The store a terminal belongs to, or null for an unknown terminal. */
    async storeOfTerminal(terminalId: string): Promise<string | null> {
      const terminal = await db.terminal.findUnique({ where: { id: terminalId }, select: { storeId: true } });
      return terminal?.storeId ?? null;
    },

    async namesOf(ids: string[]): Promise<Map<string, string>> {
      const stores = await db.store.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } });
      return new Map(stores.map((s) => [s.id, s.name]));
    },
  };
}

export type StoresRepository = ReturnType<typeof createStoresRepository>;
