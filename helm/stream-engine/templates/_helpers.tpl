{{/* Names, labels and the facts read from the pipeline file. */}}

{{- define "stream-engine.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "stream-engine.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "stream-engine.selectorLabels" -}}
app.kubernetes.io/name: {{ include "stream-engine.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "stream-engine.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "stream-engine.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
pipeline: {{ include "stream-engine.pipelineName" . }}
{{- end }}

{{/* The parsed pipeline file (values.pipeline.file); a file that is not YAML fails the render. */}}
{{- define "stream-engine.pipeline" -}}
{{- $doc := fromYaml (required "pipeline.file is required: the pipeline file's content" .Values.pipeline.file) }}
{{- if hasKey $doc "Error" }}
{{- fail (printf "pipeline.file is not valid YAML: %s" (get $doc "Error")) }}
{{- end }}
{{- if not (hasKey $doc "pipeline") }}
{{- fail "pipeline.file has no `pipeline:` name" }}
{{- end }}
{{- toYaml $doc }}
{{- end }}

{{- define "stream-engine.pipelineName" -}}
{{- (fromYaml (include "stream-engine.pipeline" .)).pipeline }}
{{- end }}

{{/* The worker's consumer group: stream-engine.<pipeline>.v<version>, as the worker names it. */}}
{{- define "stream-engine.consumerGroup" -}}
{{- $doc := fromYaml (include "stream-engine.pipeline" .) }}
{{- printf "stream-engine.%s.v%v" $doc.pipeline (default 1 $doc.version) }}
{{- end }}

{{- define "stream-engine.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "stream-engine.secretName" -}}
{{- default (printf "%s-kafka" (include "stream-engine.fullname" .)) .Values.kafka.existingSecret }}
{{- end }}

{{- define "stream-engine.saslEnabled" -}}
{{- if hasPrefix "SASL_" .Values.kafka.securityProtocol }}true{{ end }}
{{- end }}

{{/* Kafka connection settings the worker reads (stream_engine/settings.py); credentials from the Secret. */}}
{{- define "stream-engine.kafkaEnv" -}}
- name: KAFKA_BOOTSTRAP_SERVERS
  valueFrom:
    secretKeyRef:
      name: {{ include "stream-engine.secretName" . }}
      key: {{ .Values.kafka.secretKeys.bootstrapServers }}
- name: STREAM_ENGINE_KAFKA_SECURITY_PROTOCOL
  value: {{ .Values.kafka.securityProtocol | quote }}
{{- if include "stream-engine.saslEnabled" . }}
- name: STREAM_ENGINE_KAFKA_SASL_MECHANISM
  value: {{ required "kafka.sasl.mechanism is required with a SASL_* securityProtocol" .Values.kafka.sasl.mechanism | quote }}
- name: STREAM_ENGINE_KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ include "stream-engine.secretName" . }}
      key: {{ .Values.kafka.secretKeys.saslUsername }}
- name: STREAM_ENGINE_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "stream-engine.secretName" . }}
      key: {{ .Values.kafka.secretKeys.saslPassword }}
{{- end }}
{{- if .Values.kafka.tls.caSecret }}
- name: STREAM_ENGINE_KAFKA_SSL_CA_FILE
  value: /etc/stream-engine/kafka-ca/{{ .Values.kafka.tls.caKey }}
{{- end }}
- name: STREAM_ENGINE_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: STREAM_ENGINE_LOG_FORMAT
  value: {{ .Values.logFormat | quote }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Volumes shared by the worker and the replay CronJob: the pipeline folder, scratch space, the CA. */}}
{{- define "stream-engine.volumes" -}}
- name: pipeline
  configMap:
    name: {{ include "stream-engine.fullname" . }}-pipeline
- name: tmp
  emptyDir: {}
- name: data
  emptyDir: {}
{{- if .Values.kafka.tls.caSecret }}
- name: kafka-ca
  secret:
    secretName: {{ .Values.kafka.tls.caSecret }}
{{- end }}
{{- end }}

{{- define "stream-engine.volumeMounts" -}}
- name: pipeline
  mountPath: /etc/stream-engine/pipeline
  readOnly: true
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /var/lib/stream-engine
{{- if .Values.kafka.tls.caSecret }}
- name: kafka-ca
  mountPath: /etc/stream-engine/kafka-ca
  readOnly: true
{{- end }}
{{- end }}
