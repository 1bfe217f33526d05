import AgentRuntime
import GLMWire
import Testing
