// Users are points-api's own table; balances live in the ledger's Account table and are read here
// only (a user the ledger has not touched yet has no Account row, i.e. balance 0).
import { type Db, Prisma } from "../../shared/db/client.ts";

/** A user as the API serves it. */
export interface UserView {
  id: string;
  name: string;
  createdAt: string;
}

/** A user in the list, with the balance of their Account (written by the ledger as an AccountWrite). */
export interface UserWithBalanceView {
  id: string;
  name: string;
  balance: number;
}

export class DuplicateUserError extends Error {}

/** Users are points-api's (`db`); their balances are the ledger's (`ledgerDb`, its file). */
export function createUsersRepository(db: Db, ledgerDb: Db = db) {
  const toView = (user: { id: string; name: string; createdAt: Date }): UserView => ({
    id: user.id,
    name: user.name,
    createdAt: user.createdAt.toISOString(),
  });

  return {
    async find(id: string): Promise<UserView | null> {
      const user = await db.user.findUnique({ where: { id } });
      return user ? toView(user) : null;
    },

    async exists(id: string): Promise<boolean> {
      return (await db.user.count({ where: { id } })) > 0;
    },

    /** Users in id order after `afterId`, one more than `limit` so the caller can tell whether a next page exists. */
    async pageAfter(afterId: string | undefined, limit: number): Promise<UserWithBalanceView[]> {
      const users = await db.user.findMany({
        where: afterId === undefined ? {} : { id: { gt: afterId } },
        orderBy: { id: "asc" },
        take: limit + 1,
      });
      const accounts = await ledgerDb.account.findMany({
        where: { userId: { in: users.map((u) => u.id) } },
        select: { userId: true, balance: true },
      });
      const balances = new Map(accounts.map((a) => [a.userId, a.balance]));
      return users.map((u) => ({ id: u.id, name: u.name, balance: balances.get(u.id) ?? 0 }));
    },

    async create(id: string, name: string): Promise<UserView> {
      try {
        return toView(await db.user.create({ data: { id, name } }));
      } catch (error) {
        if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002")
          throw new DuplicateUserError(`user ${id} already exists`, { cause: error });
        throw error;
      }
    },

    async balanceOf(userId: string): Promise<number> {
      const account = await ledgerDb.account.findUnique({ where: { userId }, select: { balance: true } });
      return account?.balance ?? 0;
    },

    async namesOf(ids: string[]): Promise<Map<string, string>> {
      const users = await db.user.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } });
      return new Map(users.map((u) => [u.id, u.name]));
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
