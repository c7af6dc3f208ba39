// Original file: proto/backlog/v1/backlog.proto


export interface ReceiptRequest {
  'workerId'?: (string);
  'messageIds'?: (string)[];
}

export interface ReceiptRequest__Output {
  'workerId': (string);
  'messageIds': (string)[];
}
