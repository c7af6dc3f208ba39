// Original file: proto/backlog/v1/backlog.proto


export interface OutgoingMessage {
  'id'?: (string);
  'priority'?: (number);
  'payload'?: (Buffer | Uint8Array | string);
}

export interface OutgoingMessage__Output {
  'id': (string);
  'priority': (number);
  'payload': (Buffer);
}
