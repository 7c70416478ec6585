// Shapes of the messenger REST API and WebSocket frames (docs/REALTIME.md sections 3 and 4).

/** Ids arrive as numbers or strings; the messenger keys everything by their string form. */
export type Id = number | string;

export interface Author {
  type: 'admin' | 'user' | 'lead' | 'bot';
  id: Id;
  name?: string | null;
}

export interface Attachment {
  id: Id;
  name: string;
  content_type: string;
  size: number;
  /** Absent in current servers: the bytes are at /messenger/attachments/{id}?token=VISITOR_TOKEN. */
  url?: string | null;
}

export interface Part {
  id: Id;
  conversation_id: Id;
  part_type: string;
  body: string | null;
  author: Author;
  client_id?: string | null;
  attachments?: Attachment[];
  created_at: number;
}

/** The conversation summary in log payloads, and the list items of GET /messenger/conversations. */
export interface ConversationSummary {
  id: Id;
  state?: string;
  open?: boolean;
  updated_at?: number;
  last_part?: Part | null;
  unread_count?: number;
}

export interface Workspace {
  app_id: string;
  name: string;
  color: string;
  greeting?: string | null;
  expected_reply?: { online: boolean; text: string } | null;
}

export interface Contact {
  id: Id;
  role: string;
  user_id?: string | null;
  email?: string | null;
  name?: string | null;
}

export interface BootAnswer {
  visitor_token: string;
  contact: Contact;
  workspace: Workspace;
  unread_count: number;
  seq: number;
}

export interface ConversationAnswer {
  conversation: ConversationSummary;
  parts: Part[];
  admin_last_read_part_id?: Id | null;
}

/** `data` of an event frame: the union of the payloads of every kind. */
export interface EventData {
  conversation?: ConversationSummary;
  part?: Part;
  reader?: { type: string; id: Id };
  part_id?: Id | null;
}

export type ServerFrame =
  | { type: 'hello'; seq: number; unread_count?: number }
  | { type: 'event'; seq: number; kind: string; conversation_id: Id; data: EventData }
  | { type: 'ack'; client_id: string; conversation_id: Id; part: Part; seq?: number }
  | { type: 'typing'; conversation_id: Id; author: Author }
  | { type: 'unread'; count: number }
  | { type: 'pong' }
  | { type: 'error'; code: string; message: string; client_id?: string };

export type ClientFrame =
  | { type: 'send'; conversation_id?: Id; body: string; client_id: string }
  | { type: 'typing'; conversation_id: Id }
  | { type: 'read'; conversation_id: Id; part_id?: Id }
  | { type: 'ping' };
