// Original file: proto/backlog/v1/backlog.proto


export interface ReceiptRequest {
  'workerId'?: (string);
  'ackIds'?: (string)[];
}

export interface ReceiptRequest__Output {
  'workerId': (string);
  'ackIds': (string)[];
}
