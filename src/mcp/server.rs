//! The rmcp server handler: lists and calls the registry's tools, lists loaded profiles
//! as resources, and serves the workflow prompt. Results follow the original tool: text
//! is a one-line summary, a blank line and the pretty JSON payload; `structuredContent`
//! is the payload; errors carry `isError` and `{"error": {message, code, details}}`.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, GetPromptRequestParams,
    GetPromptResponse, GetPromptResult, Implementation, InitializeResult, ListPromptsResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, Prompt, PromptMessage,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, Role, ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::NameMode;
use crate::registry::{CallError, Context, ErrorCode, Registry, ToolOutput};

const WORKFLOW_PROMPT: &str = "pprof_workflow";
const WORKFLOW: &str = include_str!("workflow.md");
const RESOURCE_SCHEME: &str = "profile://";

/// One server: shared by every session of an HTTP server (profiles loaded by one client
/// are visible to the others, as one process's cache).
#[derive(Clone)]
pub struct PprofServer {
    registry: Arc<Registry>,
    ctx: Arc<Context>,
    names: NameMode,
}

impl PprofServer {
    pub fn new(registry: Arc<Registry>, ctx: Arc<Context>, names: NameMode) -> Self {
        Self {
            registry,
            ctx,
            names,
        }
    }

    fn tools(&self) -> Vec<Tool> {
        let mut tools: Vec<Tool> = self
            .registry
            .tools()
            .iter()
            .map(|t| {
                let mut tool = Tool::new(
                    self.names.exposed(t.name),
                    self.names.describe(t.name, &t.description),
                    Arc::new(t.input_schema.clone()),
                );
                tool.output_schema = t.output_schema.clone().map(Arc::new);
                // Tools read only the local files they are given; a writer replaces
                // an existing output file, so it is marked destructive.
                tool.annotations = Some(
                    ToolAnnotations::new()
                        .read_only(!t.writes)
                        .destructive(t.writes)
                        .open_world(t.open_world),
                );
                tool
            })
            .collect();
        // Sorted as exposed: codex names order differently from dotted ones.
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        tools
    }

    /// The registry's name of a tool as called (either form is accepted).
    fn canonical(&self, called: &str) -> String {
        self.registry
            .tools()
            .iter()
            .find(|t| self.names.exposed(t.name) == called || t.name == called)
            .map_or_else(|| called.to_string(), |t| t.name.to_string())
    }

    /// Runs a tool; a cancelled request stops waiting for it.
    pub async fn run(
        &self,
        name: &str,
        args: crate::registry::JsonObject,
        cancel: &CancellationToken,
    ) -> Result<ToolOutput, CallError> {
        let canonical = self.canonical(name);
        tokio::select! {
            r = self.registry.call(Arc::clone(&self.ctx), &canonical, args) => r,
            () = cancel.cancelled() => Err(CallError::new(ErrorCode::Canceled, format!("{name} was cancelled"))),
        }
    }
}

fn success(out: ToolOutput) -> CallToolResult {
    let pretty = serde_json::to_string_pretty(&out.payload).unwrap_or_default();
    let mut r = CallToolResult::success(vec![ContentBlock::text(format!(
        "{}\n\n{pretty}",
        out.summary
    ))]);
    r.structured_content = Some(out.payload);
    r
}

fn failure(e: &CallError, structured: bool) -> CallToolResult {
    let mut r = CallToolResult::error(vec![ContentBlock::text(format!(
        "{}\n\n{}",
        e.text(),
        serde_json::to_string_pretty(&e.to_json()).unwrap_or_default()
    ))]);
    if structured {
        r.structured_content = Some(e.to_json());
    }
    r
}

impl ServerHandler for PprofServer {
    fn get_info(&self) -> ServerConfig {
        InitializeResult::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_prompts()
                .build(),
        )
        .with_server_info(Implementation::new("pprof-mcp", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "Profiling tools: pprof analyses computed natively (same numbers as go tool pprof) \
             and read-only SQL over loaded profiles. Start with profiles.load, pprof.meta and \
             pprof.top; the pprof_workflow prompt describes a full analysis.",
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let args = request.arguments.unwrap_or_default();
        // A tool with an output schema gets no structured error: clients check
        // structuredContent against that schema even on errors.
        let has_schema = self
            .registry
            .get(&self.canonical(&request.name))
            .is_some_and(|t| t.output_schema.is_some());
        let result = match self.run(&request.name, args, &context.ct).await {
            Ok(out) => success(out),
            Err(e) => failure(&e, !has_schema),
        };
        Ok(result.into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let resources = self
            .ctx
            .store
            .handles()
            .into_iter()
            .map(|h| {
                let id = h
                    .handle
                    .trim_start_matches(crate::registry::store::HANDLE_PREFIX);
                let name = std::path::Path::new(&h.path)
                    .file_name()
                    .map_or_else(|| h.path.clone(), |n| n.to_string_lossy().into_owned());
                Resource::new(format!("{RESOURCE_SCHEME}{id}"), name)
                    .with_description(format!("{} ({}): pprof.meta as JSON", h.path, h.handle))
                    .with_mime_type("application/json")
            })
            .collect();
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let Some(id) = request.uri.strip_prefix(RESOURCE_SCHEME) else {
            return Err(McpError::resource_not_found(
                format!("unknown resource {}", request.uri),
                None,
            ));
        };
        let handle = format!("{}{id}", crate::registry::store::HANDLE_PREFIX);
        let mut args = crate::registry::JsonObject::new();
        args.insert("profile".into(), json!(handle));
        let out = self
            .registry
            .call(Arc::clone(&self.ctx), "pprof.meta", args)
            .await
            .map_err(|e| match e.code {
                ErrorCode::NotFound => McpError::resource_not_found(e.text(), None),
                _ => McpError::internal_error(e.text(), None),
            })?;
        let meta = out.payload.get("result").cloned().unwrap_or_default();
        let text = serde_json::to_string_pretty(&json!({ "handle": handle, "meta": meta }))
            .unwrap_or_default();
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(text, request.uri).with_mime_type("application/json")
        ])
        .into())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        Ok(ListPromptsResult::with_all_items(vec![Prompt::new(
            WORKFLOW_PROMPT,
            Some(
                "A two-pass workflow for finding why a Go service is slow or big from its profiles",
            ),
            None,
        )]))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        if request.name != WORKFLOW_PROMPT {
            return Err(McpError::invalid_params(
                format!(
                    "unknown prompt {:?}; the prompt is {WORKFLOW_PROMPT}",
                    request.name
                ),
                None,
            ));
        }
        Ok(
            GetPromptResult::new(vec![PromptMessage::new_text(Role::User, WORKFLOW)])
                .with_description("Two-pass pprof analysis workflow")
                .into(),
        )
    }
}
