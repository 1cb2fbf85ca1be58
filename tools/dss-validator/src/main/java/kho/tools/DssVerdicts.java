package kho.tools;

import eu.europa.esig.dss.enumerations.Indication;
import eu.europa.esig.dss.enumerations.SubIndication;
import eu.europa.esig.dss.jaxb.object.Message;
import eu.europa.esig.dss.model.DSSDocument;
import eu.europa.esig.dss.model.FileDocument;
import eu.europa.esig.dss.model.x509.CertificateToken;
import eu.europa.esig.dss.simplereport.SimpleReport;
import eu.europa.esig.dss.spi.DSSUtils;
import eu.europa.esig.dss.spi.validation.CommonCertificateVerifier;
import eu.europa.esig.dss.spi.x509.CommonTrustedCertificateSource;
import eu.europa.esig.dss.validation.SignedDocumentValidator;
import eu.europa.esig.dss.validation.reports.Reports;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Validates PDFs with EU DSS, offline, under DSS's default validation policy, and prints
 * one JSON line per file: each signature's indication and sub-indication and the file's
 * overall class (the worst signature; NO_SIGNATURE; UNREADABLE when DSS cannot read it).
 *
 * <p>Usage: {@code DssVerdicts VALIDATION-TIME JOBS-FILE}, where VALIDATION-TIME is an
 * ISO-8601 instant and each line of JOBS-FILE is {@code PDF-PATH<TAB>TRUST-PEM} (the
 * trust anchors as PEM certificates; an empty second column trusts nothing). No network
 * source is configured: no AIA, CRL or OCSP fetching, so only what the file carries counts.
 */
public final class DssVerdicts {

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", Pattern.DOTALL);

    private DssVerdicts() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: DssVerdicts VALIDATION-TIME JOBS-FILE");
            System.exit(64);
        }
        Date at = Date.from(Instant.parse(args[0]));
        for (String line : Files.readAllLines(Path.of(args[1]), StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            String[] columns = line.split("\t", -1);
            Path pdf = Path.of(columns[0]);
            Path trust = columns.length > 1 && !columns[1].isEmpty() ? Path.of(columns[1]) : null;
            System.out.println(verdict(pdf, trust, at));
            System.out.flush();
        }
    }

    static List<CertificateToken> anchors(Path pem) throws IOException {
        List<CertificateToken> found = new ArrayList<>();
        if (pem == null) {
            return found;
        }
        Matcher matcher = PEM.matcher(Files.readString(pem, StandardCharsets.US_ASCII));
        while (matcher.find()) {
            byte[] der = Base64.getMimeDecoder().decode(matcher.group(1).trim());
            found.add(DSSUtils.loadCertificate(der));
        }
        return found;
    }

    static String verdict(Path pdf, Path trust, Date at) {
        StringBuilder out = new StringBuilder("{\"file\":").append(json(pdf.toString()));
        Reports reports;
        try {
            CommonCertificateVerifier verifier = new CommonCertificateVerifier();
            verifier.setAIASource(null);
            verifier.setCrlSource(null);
            verifier.setOcspSource(null);
            CommonTrustedCertificateSource trusted = new CommonTrustedCertificateSource();
            for (CertificateToken anchor : anchors(trust)) {
                trusted.addCertificate(anchor);
            }
            verifier.setTrustedCertSources(trusted);
            DSSDocument document = new FileDocument(pdf.toFile());
            SignedDocumentValidator validator = SignedDocumentValidator.fromDocument(document);
            validator.setCertificateVerifier(verifier);
            validator.setValidationTime(at);
            reports = validator.validateDocument();
        } catch (Exception | StackOverflowError error) {
            // DSS could not read the file at all (not a PDF, damaged, password needed).
            return out.append(",\"class\":\"UNREADABLE\",\"error\":")
                    .append(json(error.getClass().getSimpleName() + ": " + error.getMessage()))
                    .append(",\"signatures\":[]}").toString();
        }
        SimpleReport simple = reports.getSimpleReport();
        List<String> ids = simple.getSignatureIdList();
        String worst = ids.isEmpty() ? "NO_SIGNATURE" : "TOTAL_PASSED";
        out.append(",\"signatures\":[");
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.get(i);
            Indication indication = simple.getIndication(id);
            SubIndication sub = simple.getSubIndication(id);
            if (i > 0) {
                out.append(',');
            }
            out.append("{\"id\":").append(json(id))
                    .append(",\"format\":").append(json(String.valueOf(simple.getSignatureFormat(id))))
                    .append(",\"indication\":").append(json(String.valueOf(indication)))
                    .append(",\"subindication\":").append(sub == null ? "null" : json(sub.name()))
                    .append(",\"errors\":[");
            List<Message> errors = simple.getAdESValidationErrors(id);
            for (int e = 0; e < errors.size(); e++) {
                out.append(e > 0 ? "," : "").append(json(errors.get(e).getValue()));
            }
            out.append("]}");
            worst = worse(worst, String.valueOf(indication));
        }
        return out.append("],\"class\":").append(json(worst)).append('}').toString();
    }

    /** TOTAL_FAILED over INDETERMINATE over TOTAL_PASSED. */
    static String worse(String current, String next) {
        List<String> order = List.of("TOTAL_PASSED", "INDETERMINATE", "TOTAL_FAILED");
        int a = order.indexOf(current);
        int b = order.indexOf(next);
        if (b < 0) { // PASSED / FAILED / NO_SIGNATURE do not occur for signatures
            b = 1;
        }
        return b > a ? order.get(b) : current;
    }

    static String json(String value) {
        StringBuilder quoted = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                case '\n' -> quoted.append("\\n");
                case '\r' -> quoted.append("\\r");
                case '\t' -> quoted.append("\\t");
                default -> {
                    if (c < 0x20) {
                        quoted.append(String.format("\\u%04x", (int) c));
                    } else {
                        quoted.append(c);
                    }
                }
            }
        }
        return quoted.append('"').toString();
    }
}
