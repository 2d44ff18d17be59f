//! The MCP front door: the registry's tools over rmcp, on stdio or streamable HTTP, plus
//! a resource per loaded profile and the analysis workflow as a prompt.

pub mod http;
mod names;
mod server;

pub use names::NameMode;
pub use server::PprofServer;
