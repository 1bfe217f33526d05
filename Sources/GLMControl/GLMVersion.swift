/// The release of the GLM suite every executable reports (`--version`, logs at start).
public enum GLMVersion {
    public static let current = "0.11.0"
}
