// The demo's stores, terminals and users. Ids are stable, so seeding twice changes nothing and
// the load generator can address the same users.
export interface DemoStore {
  id: string;
  name: string;
  terminals: { id: string; name: string }[];
}

export interface DemoUser {
  id: string;
  name: string;
  openingBalance: number;
}

const storeNames = ["Shibuya", "Shinjuku", "Ikebukuro", "Ueno", "Akihabara"];
const firstNames = [
  "Aiko",
  "Ben",
  "Chloe",
  "Daichi",
  "Emma",
  "Farid",
  "Greta",
  "Hiro",
  "Ines",
  "Jun",
  "Kofi",
  "Lena",
  "Mateo",
  "Nora",
  "Omar",
  "Priya",
  "Quinn",
  "Rin",
  "Sven",
  "Tomoko",
];

export function demoStores(count = storeNames.length, terminalsPerStore = 2): DemoStore[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `store-${i + 1}`;
    return {
      id,
      name: `Store ${i + 1} ${storeNames[i % storeNames.length]}`,
      terminals: Array.from({ length: terminalsPerStore }, (_, t) => ({
        id: `${id}-pos-${t + 1}`,
        name: `POS ${t + 1}`,
      })),
    };
  });
}

/** user-0001 …; opening balances are a deterministic spread of multiples of 100 up to 5,000. */
export function demoUsers(count = firstNames.length): DemoUser[] {
  const width = Math.max(4, String(count).length);
  return Array.from({ length: count }, (_, i) => ({
    id: `user-${String(i + 1).padStart(width, "0")}`,
    name: `${firstNames[i % firstNames.length]}${i >= firstNames.length ? ` ${Math.floor(i / firstNames.length) + 1}` : ""}`,
    openingBalance: (((i * 37) % 50) + 1) * 100,
  }));
}
