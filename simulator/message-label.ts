/**
 * The readable label a trace gives an encoded message (simulator/trace.ts records it): its type, and
 * the type of the payload it carries. Apart from trace.ts because it needs the wire codec, which
 * reading a trace does not.
 */
import type { Bytes } from '../impl/bytes.ts';
import { peekType } from '../impl/codec.ts';
import { messageName, MsgType } from '../impl/messages/index.ts';

const PAYLOAD_OFFSET: Readonly<Record<number, number>> = {
  // header 4, then fixed fields, then a 4-byte length prefix: where the nested payload's header starts
  [MsgType.RoomDelivery]: 4 + 16 + 8 + 4,
  [MsgType.MailboxDelivery]: 4 + 8 + 16 + 32 + 4,
  [MsgType.Send]: 4 + 4 + 16 + 4,
  [MsgType.PostCommit]: 4 + 4 + 16 + 4,
  [MsgType.Rotate]: 4 + 4 + 16 + 4,
  [MsgType.SubmitJoin]: 4 + 4 + 16 + 32 + 4,
  [MsgType.SendWelcome]: 4 + 4 + 16 + 32 + 4,
  [MsgType.SubmitConfirm]: 4 + 4 + 16 + 32 + 4,
  [MsgType.AddMember]: 4 + 4 + 16 + 32 + 4,
  [MsgType.CreateRoom]: 4 + 4 + 16 + 1 + 4,
  [MsgType.PostKeyUpdate]: 4 + 4 + 16 + 4,
};

/** A readable label of an encoded message: its type, and the type of the payload it carries. */
export function messageLabel(bytes: Bytes): string {
  let type: number;
  try {
    type = peekType(bytes);
  } catch {
    return 'malformed';
  }
  const name = messageName(type) ?? `0x${type.toString(16)}`;
  const off = PAYLOAD_OFFSET[type];
  if (off !== undefined && bytes.length > off + 3) {
    const inner = messageName(bytes[off + 3]!);
    if (inner) return `${name}(${inner})`;
  }
  return name;
}
