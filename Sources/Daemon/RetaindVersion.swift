/// The version written into provenance files and `retaind --version`.
public enum RetaindVersion {
    public static let current = "0.2.0"
}
