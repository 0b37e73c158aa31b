// The one place the client's version lives: it is sent as the User-Agent.
export const PICOKUBELET_VERSION = "0.1.0"
export const USER_AGENT = `picokubelet/${PICOKUBELET_VERSION}`
