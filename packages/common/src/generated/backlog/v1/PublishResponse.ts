// Original file: proto/backlog/v1/backlog.proto


export interface PublishResponse {
  'ids'?: (string)[];
}

export interface PublishResponse__Output {
  'ids': (string)[];
}
