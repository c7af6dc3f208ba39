// Original file: proto/backlog/v1/backlog.proto


export interface LimitsRequest {
}

export interface LimitsRequest__Output {
}
