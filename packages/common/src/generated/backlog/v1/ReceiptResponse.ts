// Original file: proto/backlog/v1/backlog.proto


export interface ReceiptResponse {
  'counted'?: (number);
  'ignored'?: (number);
}

export interface ReceiptResponse__Output {
  'counted': (number);
  'ignored': (number);
}
