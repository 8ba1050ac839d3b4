// Users: paging through them with their balances, adding one, and one user's balance.
import { randomUUID } from "node:crypto";
import { AppError } from "../../shared/errors.ts";
import {
  DuplicateUserError,
  type UsersRepository,
  type UserView,
  type UserWithBalanceView,
} from "../repositories/users.ts";

export interface UsersPage {
  users: UserWithBalanceView[];
  /** Pass back as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

// The cursor is the last id of a page, opaque to clients so the paging scheme may change.
const encodeCursor = (lastId: string): string => Buffer.from(lastId, "utf8").toString("base64url");
const decodeCursor = (cursor: string): string => Buffer.from(cursor, "base64url").toString("utf8");

export function createUserUseCases(users: UsersRepository) {
  return {
    async listUsers({ limit, cursor }: { limit: number; cursor?: string }): Promise<UsersPage> {
      const rows = await users.pageAfter(cursor === undefined ? undefined : decodeCursor(cursor), limit);
      const page = rows.slice(0, limit);
      return { users: page, nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.id) : null };
    },

    async createUser({ id, name }: { id?: string; name: string }): Promise<UserView> {
      try {
        return await users.create(id ?? randomUUID(), name);
      } catch (error) {
        if (error instanceof DuplicateUserError) throw AppError.conflict(error.message);
        throw error;
      }
    },

    async balanceOf(userId: string): Promise<{ userId: string; balance: number }> {
      if (!(await users.exists(userId))) throw AppError.notFound(`user ${userId} not found`);
      return { userId, balance: await users.balanceOf(userId) };
    },
  };
}

export type UserUseCases = ReturnType<typeof createUserUseCases>;
