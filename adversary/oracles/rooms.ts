/**
 * Rooms of a world, for the oracles (spec 7.11): a world may hold several rooms, which share
 * people (one owner keeping two rooms from two clients, a member in both), and every property
 * is judged within one room: its owner's records, its members' deliveries, its epochs. A room is
 * named by the name of its owner's client; a member belongs to the room its invite names.
 */
import { equalBytes, toHex, type Bytes } from '../../impl/bytes.ts';
import type { Invite } from '../../impl/messages/index.ts';
import type { ClientCore } from '../../machines/client-core.ts';
import { roomOf } from '../../machines/route.ts';
import type { ClientNode, World } from '../../simulator/world.ts';

/** The rooms of a world, looked up as the run goes. */
export interface Rooms {
  /** The owners' clients, in the order they were added. */
  owners(): ClientNode[];
  /** The owner client of the room `node` is in (the first owner while a member has no room yet). */
  ownerOf(node: ClientNode): ClientNode | undefined;
  /** The room `node` is in, named by its owner's client. */
  roomOf(node: ClientNode): string;
  /** The room id of a room entry, roster or request, when it names one. */
  roomIdOf(decoded: { readonly room_id?: Bytes }): string | undefined;
  /** The room id (hex) of the room named `room`, once its owner created it. */
  idOf(room: string): string | undefined;
}

/** The rooms of `world`. */
export function rooms(world: World): Rooms {
  // the oracles ask after every step: the owners are listed again only when a client is added, and
  // a member's room is looked up once it has one (a client keeps one room for good)
  let ownersOf = { size: -1, list: [] as ClientNode[] };
  const owners = (): ClientNode[] => {
    if (ownersOf.size !== world.clients.size) ownersOf = { size: world.clients.size, list: [...world.clients.values()].filter((n) => n.role === 'owner') };
    return ownersOf.list;
  };
  const idOfNode = (n: ClientNode): Bytes | undefined => roomOf(n.snapshot.context as ClientCore & { invite?: Invite });
  const found = new Map<string, ClientNode>();
  const ownerOf = (node: ClientNode): ClientNode | undefined => {
    if (node.role === 'owner') return node;
    const known = found.get(node.name);
    if (known) return known;
    const all = owners();
    if (all.length === 1) return all[0]; // one room: nothing to look up
    const id = idOfNode(node);
    if (id !== undefined) {
      const o = all.find((x) => {
        const oid = idOfNode(x);
        return oid !== undefined && equalBytes(oid, id);
      });
      if (o) {
        found.set(node.name, o);
        return o;
      }
    }
    return world.clients.get('owner') ?? all[0];
  };
  return {
    owners,
    ownerOf,
    roomOf: (node) => ownerOf(node)?.name ?? 'owner',
    roomIdOf: (d) => (d.room_id === undefined ? undefined : toHex(d.room_id)),
    idOf: (room) => {
      const o = world.clients.get(room);
      const id = o ? idOfNode(o) : undefined;
      return id === undefined ? undefined : toHex(id);
    },
  };
}
